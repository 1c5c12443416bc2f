"""Each lab's own copy of the package repositories, so a runtime publish only affects the lab that asked.

``<state_dir>/repos/serve`` is what a lab's repository HTTP server serves: a copy of the cache's pristine
build (``<cache_root>/repos/<key>/pristine``) with the .deb/.rpm files hard-linked (copied when the state
dir is on another filesystem) and the metadata copied. ``<state_dir>/repos/key`` names the build it was made
from. publish() adds new package files and rewrites the metadata by replacing files (never writing into an
existing one), so nothing shared with the cache changes. A fresh copy's metadata is dated now (mtimes and the
apt Release ``Date:``), so hosts holding a published version's metadata take the pristine one. Not part of the builder's cache key on purpose:
changing this module must not rebuild the repositories or the baseline layers.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import time
from pathlib import Path

from .build import RepoSet, file_lock

PACKAGE_SUFFIXES = (".deb", ".rpm")
RELEASE_DATE_RE = re.compile(r"^Date: .*$", re.MULTILINE)


def serve_path(state_dir: Path) -> Path:
    """The directory a lab with this state dir serves over HTTP."""
    return Path(state_dir) / "repos" / "serve"


def _key_file(state_dir: Path) -> Path:
    return Path(state_dir) / "repos" / "key"


def copy_key(state_dir: Path) -> str | None:
    """The cache key of the build the lab's copy was made from (None: there is no copy)."""
    key = _key_file(state_dir)
    if not serve_path(state_dir).is_dir() or not key.is_file():
        return None
    return key.read_text().strip() or None


def _lock(rs: RepoSet):
    # the builder's own lock: publish() and reset() of lab.repos hold it too
    return file_lock(rs.root.parent / f".{rs.key}.lock")


def _link_or_copy(src: str, dst: str) -> None:
    if src.endswith(PACKAGE_SUFFIXES):
        try:
            os.link(src, dst)
            return
        except OSError:  # another filesystem (EXDEV) or links not allowed: copy the bytes
            pass
    shutil.copy(src, dst)  # metadata: a fresh file of the lab's own (dated by _freshen_metadata)


def _metadata(tree: Path) -> list[Path]:
    return [p for p in tree.rglob("*") if p.is_file() and not p.name.endswith(PACKAGE_SUFFIXES)]


def _freshen_metadata(new: Path, old: Path) -> None:
    """Date the new copy's metadata now, in a later whole second than the copy it replaces.

    After an unpublish, hosts hold the published metadata. http.server answers an If-Modified-Since
    revalidation (apt sends one for Release) with 304 unless the file's mtime is in a later second, and apt
    ignores a Release whose ``Date:`` is older than the one it has: so the pristine Release files get
    today's Date and every metadata file the current mtime (the hard-linked packages keep theirs)."""
    newest = max((p.stat().st_mtime_ns for p in _metadata(old)), default=0) if old.is_dir() else 0
    wait = (newest // 1_000_000_000 + 1) - time.time()
    if wait > 0:
        time.sleep(min(wait, 2.0))
    now = time.time()
    date = "Date: " + time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(now))
    for path in _metadata(new):
        if path.name == "Release":
            path.write_text(RELEASE_DATE_RE.sub(date, path.read_text(), count=1))
        os.utime(path, ns=(int(now * 1e9),) * 2)


def _fresh_copy(rs: RepoSet, state_dir: Path) -> None:
    """Replace the lab's copy by a pristine one (renamed into place: a running server never sees half a tree)."""
    serve = serve_path(state_dir)
    serve.parent.mkdir(parents=True, exist_ok=True)
    new = serve.with_name(f".serve-new-{os.getpid()}")
    old = serve.with_name(f".serve-old-{os.getpid()}")
    for stale in (new, old):
        shutil.rmtree(stale, ignore_errors=True)
    shutil.copytree(rs.pristine_dir, new, copy_function=_link_or_copy, ignore=shutil.ignore_patterns(".complete"))
    _freshen_metadata(new, serve)
    _key_file(state_dir).unlink(missing_ok=True)
    if serve.exists():
        os.rename(serve, old)
    os.rename(new, serve)
    _key_file(state_dir).write_text(f"{rs.key}\n")
    shutil.rmtree(old, ignore_errors=True)


def ensure(rs: RepoSet, state_dir: Path) -> tuple[RepoSet, bool]:
    """This lab's RepoSet (serve_dir = its own copy): made when missing or made from another build, else reused
    as it is (versions published earlier stay). Returns (repo set, whether a fresh copy was made)."""
    with _lock(rs):
        made = copy_key(state_dir) != rs.key
        if made:
            _fresh_copy(rs, state_dir)
    return dataclasses.replace(rs, serve_dir=serve_path(state_dir)), made


def attach(rs: RepoSet, state_dir: Path) -> RepoSet:
    """This lab's RepoSet without making anything: the copy must exist and come from rs's build."""
    key = copy_key(state_dir)
    if key is None:
        raise FileNotFoundError(f"no repository copy in {serve_path(state_dir).parent}")
    if key != rs.key:
        raise ValueError(f"the repository copy in {serve_path(state_dir).parent} is of build {key}, not {rs.key}")
    return dataclasses.replace(rs, serve_dir=serve_path(state_dir))


def reset(rs: RepoSet, state_dir: Path) -> list[dict]:
    """Drop every version published into this lab's copy (it becomes pristine again); returns what was dropped."""
    with _lock(rs):
        dropped = dataclasses.replace(rs, serve_dir=serve_path(state_dir)).published()
        _fresh_copy(rs, state_dir)
    return dropped
