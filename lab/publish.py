"""``python -m lab publish|unpublish``: runtime package versions in THIS lab's repositories only.

`lab up` serves ``<state_dir>/repos/serve``, the lab's own copy of the cached build (lab/repos/labcopy.py);
publish adds a newer version of a manifest package to it, unpublish makes it pristine again.
"""

from __future__ import annotations

import json

from lab import state
from lab.config import LabError, Settings

# Severity words people also use (CVSS-style) -> the manifest's (Red Hat style) severities.
SEVERITY_ALIASES = {"high": "Important", "medium": "Moderate"}


def _repos():
    try:
        from lab import repos
        from lab.repos import labcopy
    except ImportError as exc:
        raise LabError(f"lab/repos is not available ({exc}): this lab has no package repositories") from exc
    return repos, labcopy


def severity_name(word: str | None) -> str | None:
    """'critical', 'High', 'Moderate' ... -> the manifest's severity name; LabError for anything else."""
    if word is None:
        return None
    from lab.repos.manifest import SEVERITIES

    by_lower = {s.lower(): s for s in SEVERITIES} | SEVERITY_ALIASES
    try:
        return by_lower[word.strip().lower()]
    except KeyError:
        raise LabError(
            f"unknown severity {word!r}: use one of {', '.join(SEVERITIES)} (or high = Important, medium = Moderate)"
        ) from None


def lab_repo_set(settings: Settings, rs=None):
    """The RepoSet of the running lab of `settings` (serve_dir = its own copy); LabError says what to do if none.

    rs: the cached build to use (default: lab.repos.build of the settings' cache dir)."""
    repos, labcopy = _repos()
    data = state.read(settings.state_dir)
    served = data["lab"].get("serve_dir")
    mine = str(labcopy.serve_path(settings.state_dir))
    if not data["lab"].get("repos") or not served:
        raise LabError(f"the lab in {settings.state_dir} serves no package repositories: run python -m lab up first")
    if served != mine:
        raise LabError(
            f"the lab in {settings.state_dir} still serves the shared {served} (started by older lab code): "
            "run python -m lab up again, it then serves its own copy"
        )
    if rs is None:
        rs = repos.build(settings.cache_dir)
    try:
        return labcopy.attach(rs, settings.state_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise LabError(f"{exc}: run python -m lab up again") from None


def next_version(rs, package: str) -> str:
    """The next major version of `package` above the manifest's and this lab's published ones (N+1.0-1)."""
    known = [v.version for v in rs.manifest.package(package).versions]
    known += [p["version"] for p in rs.published() if p["package"] == package]
    return f"{max(int(v.split('.')[0]) for v in known) + 1}.0-1"


def publish(
    settings: Settings,
    package: str,
    version: str | None = None,
    *,
    type: str = "bugfix",
    severity: str | None = None,
    cves: tuple[str, ...] = (),
    changes: tuple[str, ...] = (),
    rs=None,
) -> str:
    """Publish `version` (default: next_version) of manifest package `package` into this lab; returns it."""
    repos, _ = _repos()
    # argument errors first: they need no build and no running lab
    names = [p.name for p in (rs.manifest if rs else repos.load()).packages]
    if package not in names:
        raise LabError(f"unknown package {package!r}: the lab's manifest has {', '.join(names)}")
    severity = severity_name(severity)
    rs = lab_repo_set(settings, rs)
    version = version or next_version(rs, package)
    try:
        repos.publish(rs, package, version, type=type, severity=severity, cves=cves, changes=changes)
    except repos.ManifestError as exc:
        raise LabError(str(exc)) from None
    return version


def unpublish(settings: Settings, rs=None) -> list[dict]:
    """Drop every version published into this lab (its copy becomes pristine); returns what was dropped."""
    _, labcopy = _repos()
    rs = lab_repo_set(settings, rs)
    return labcopy.reset(rs, settings.state_dir)


def published(settings: Settings) -> list[dict]:
    """Versions published into this lab's copy (read without building anything)."""
    _, labcopy = _repos()
    path = labcopy.serve_path(settings.state_dir) / "published.json"
    return json.loads(path.read_text()) if path.is_file() else []
