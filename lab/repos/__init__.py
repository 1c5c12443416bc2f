"""The lab's local package repositories: apt and rpm repos built offline from manifest.yml.

Public API (see docs/lab-repos.md):
  build(cache_root) -> RepoSet, publish(rs, package, version), reset(rs), serve_copy(rs, dest),
  baseline_layer(rs, base_dir, manager, cache_root) -> Path,
  configure_host(host_root, manager, base_url), break_repo(...), fix_repo(...),
  set_failing_script(host_root, package, failing), lock_argv(manager), zypper_usable().
A lab serves its own copy of the build: lab.repos.labcopy (ensure / attach / reset), used by lab up and by
python -m lab publish|unpublish (lab/publish.py).
"""

from __future__ import annotations

from .build import RepoSet, build, publish, reset, serve_copy
from .hosts import break_repo, configure_host, fix_repo, lock_argv, set_failing_script
from .layer import MANAGERS, baseline_layer, zypper_usable
from .manifest import Manifest, ManifestError, load

__all__ = [
    "MANAGERS",
    "Manifest",
    "ManifestError",
    "RepoSet",
    "baseline_layer",
    "break_repo",
    "build",
    "configure_host",
    "fix_repo",
    "load",
    "lock_argv",
    "publish",
    "reset",
    "serve_copy",
    "set_failing_script",
    "zypper_usable",
]
