"""Build (or reuse) the lab's package repositories under a cache root; publish versions at runtime.

Layout of ``<cache_root>/repos/<key>/`` (key = hash of the manifest and of this package's code):
  pristine/   the build result, never modified after the atomic rename
  serve/      what the lab serves over HTTP at "/" (a copy of pristine: packages hard-linked);
              publish() adds to it, reset() restores it from pristine
Under pristine/ and serve/: ``apt/`` (suites lab, lab-updates, lab-security), ``rpm/`` (rpm-md with
updateinfo), ``broken/apt`` and ``broken/rpm`` (metadata that fails checksum verification).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as _dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import deb, rpm
from .manifest import (
    CVE_RE,
    SEVERITIES,
    TYPES,
    Dependency,
    Manifest,
    ManifestError,
    Package,
    Version,
    load,
    version_key,
)

WORKERS = 3
BUILDER_FILES = ("manifest.py", "payload.py", "deb.py", "rpm.py", "build.py")  # their code is in the cache key


@dataclasses.dataclass(frozen=True)
class RepoSet:
    root: Path
    serve_dir: Path
    manifest: Manifest
    key: str
    arch: str
    build_seconds: float = 0.0  # 0.0 when the cached build was reused

    @property
    def pristine_dir(self) -> Path:
        return self.root / "pristine"

    def published(self) -> list[dict]:
        """Versions added by publish() since the serve dir was (re)made."""
        path = self.serve_dir / "published.json"
        return json.loads(path.read_text()) if path.exists() else []


def _code_hash() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in (here / name for name in BUILDER_FILES):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_key(manifest: Manifest, arch: str) -> str:
    text = f"repos-v1\0{arch}\0{manifest.raw}\0{_code_hash()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_THREAD_LOCKS: dict[str, threading.Lock] = collections.defaultdict(threading.Lock)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock between processes (fcntl) and between threads of this process."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _THREAD_LOCKS[str(path)], open(path, "a+") as handle:
        fcntl.lockf(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)


def _build_tree(manifest: Manifest, out: Path, work: Path, arch: str) -> None:
    apt_dir, rpm_dir = out / "apt", out / "rpm"
    jobs = []
    for pkg in manifest.packages:
        for ver in pkg.versions:
            jobs.append((deb.build_deb, pkg, ver, apt_dir))
            jobs.append((rpm.build_rpm, pkg, ver, rpm_dir))
    work.mkdir(parents=True, exist_ok=True)
    # biggest payloads first so the pool ends evenly
    jobs.sort(key=lambda job: -job[2].size)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(fn, manifest, pkg, ver, dest, work) for fn, pkg, ver, dest in jobs]
        for future in futures:
            future.result()
    rpm.build_release_rpm(rpm_dir, work)
    deb.index(apt_dir, arch)
    rpm.index(rpm_dir, rpm.updateinfo(manifest), work)
    _make_broken(out)


def _make_broken(out: Path) -> None:
    """broken/apt: Release whose Packages files no longer match (Hash Sum mismatch);
    broken/rpm: repomd.xml whose primary metadata fails its checksum (new revision, so clients refetch)."""
    broken = out / "broken"
    shutil.copytree(out / "apt" / "dists", broken / "apt" / "dists")
    for packages in (broken / "apt" / "dists").rglob("Packages*"):
        packages.write_bytes(b"Package: lab-corrupted\nThis index was corrupted on purpose by the lab.\n")
    repodata = broken / "rpm" / "repodata"
    shutil.copytree(out / "rpm" / "repodata", repodata)
    repomd = repodata / "repomd.xml"
    text = re.sub(r"<revision>\d+</revision>", "<revision>1</revision>", repomd.read_text())
    # primary moves to a new name (clients with a cached copy must fetch it) and fails its checksum
    for primary in repodata.glob("*primary.xml*"):
        text = text.replace(f"repodata/{primary.name}", "repodata/corrupted-primary.xml.gz")
        primary.unlink()
    (repodata / "corrupted-primary.xml.gz").write_bytes(b"corrupted on purpose by the lab\n")
    repomd.write_text(text)


def _copy_serve(pristine: Path, dest: Path) -> None:
    def link_or_copy(src: str, dst: str) -> None:
        if src.endswith((".deb", ".rpm")):
            os.link(src, dst)
        else:
            shutil.copy2(src, dst)

    shutil.copytree(pristine, dest, copy_function=link_or_copy)


def in_use() -> str:
    """Text of every mount and process command line: a cache entry named in it is in use."""
    chunks = [Path("/proc/self/mountinfo").read_text()]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            chunks.append(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return "\n".join(chunks)


def prune(directory: Path, keep: str, prefix: str = "") -> list[str]:
    """Remove stale cache entries (other keys) of `directory` that no mount or process uses."""
    used = in_use()
    removed = []
    for entry in Path(directory).iterdir():
        stale = entry.is_dir() and not entry.name.startswith(".") and entry.name != keep
        if stale and entry.name.startswith(prefix) and str(entry) not in used:
            shutil.rmtree(entry, ignore_errors=True)
            (entry.parent / f".{entry.name}.lock").unlink(missing_ok=True)
            removed.append(entry.name)
    return removed


def build(cache_root: Path, manifest_path: Path | None = None) -> RepoSet:
    """Build or reuse the repositories (see module docstring). Safe against concurrent callers.

    manifest_path defaults to lab/repos/manifest.yml (tests pass a small one)."""
    started = time.monotonic()
    manifest = load(manifest_path) if manifest_path else load()
    arch = deb.host_arch()
    key = cache_key(manifest, arch)
    base = Path(cache_root) / "repos"
    root = base / key
    built = False
    with file_lock(base / f".{key}.lock"):
        if not (root / "pristine" / ".complete").exists():
            tmp = base / f".tmp-{key}-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            _build_tree(manifest, tmp / "pristine", tmp / "work", arch)
            shutil.rmtree(tmp / "work")
            (tmp / "pristine" / ".complete").write_text(f"{key}\n")
            shutil.rmtree(root, ignore_errors=True)
            os.rename(tmp, root)
            built = True
            prune(base, keep=key)
        if not (root / "serve").exists():
            _reset_serve(root / "pristine", root / "serve")
    seconds = time.monotonic() - started if built else 0.0
    return RepoSet(root, root / "serve", manifest, key, arch, seconds)


def _reset_serve(pristine: Path, serve: Path) -> None:
    new, old = serve.with_name(f".{serve.name}-new-{os.getpid()}"), serve.with_name(f".{serve.name}-old-{os.getpid()}")
    shutil.rmtree(new, ignore_errors=True)
    _copy_serve(pristine, new)
    if serve.exists():
        os.rename(serve, old)
    os.rename(new, serve)
    shutil.rmtree(old, ignore_errors=True)


def reset(rs: RepoSet) -> None:
    """Drop every published version: rs.serve_dir becomes a fresh copy of the pristine build."""
    with file_lock(rs.root.parent / f".{rs.key}.lock"):
        _reset_serve(rs.pristine_dir, rs.serve_dir)


def serve_copy(rs: RepoSet, dest: Path) -> RepoSet:
    """A RepoSet serving a private copy of the pristine build at dest (publish/reset act on that copy only)."""
    with file_lock(rs.root.parent / f".{rs.key}.lock"):
        _reset_serve(rs.pristine_dir, Path(dest))
    return dataclasses.replace(rs, serve_dir=Path(dest))


def _published_versions(rs: RepoSet) -> list[tuple[Package, Version]]:
    out = []
    for item in rs.published():
        pkg = rs.manifest.package(item["package"])
        out.append((pkg, _version_from(item)))
    return out


def _version_from(item: dict) -> Version:
    return Version(
        version=item["version"],
        date=_dt.date.fromisoformat(item["date"]),
        changes=tuple(item["changes"]),
        size=item["size"],
        type=item["type"],
        advisory=item["advisory"],
        severity=item["severity"],
        cves=tuple(item["cves"]),
        depends=tuple(Dependency(*dep) for dep in item.get("depends", [])),
    )


def publish(
    rs: RepoSet,
    package: str,
    version: str,
    *,
    type: str = "bugfix",
    severity: str | None = None,
    cves: tuple[str, ...] = (),
    changes: tuple[str, ...] = (),
) -> None:
    """Add `version` of manifest package `package` to serve/ (apt suite by type; rpm repo + advisory)."""
    pkg = rs.manifest.package(package)
    with file_lock(rs.root.parent / f".{rs.key}.lock"):
        published = rs.published()
        known = [v.version for v in pkg.versions] + [p["version"] for p in published if p["package"] == package]
        try:
            newer = all(version_key(version) > version_key(v) for v in known)
        except ValueError:
            raise ManifestError(f"publish: version {version!r} must look like 1.3-1") from None
        if not newer:
            raise ManifestError(f"publish: {package} {version} is not newer than {max(known, key=version_key)}")
        if type not in TYPES or (severity is not None and severity not in SEVERITIES):
            raise ManifestError(f"publish: type must be one of {TYPES}, severity one of {SEVERITIES}")
        if type == "security" and (not severity or not cves):
            raise ManifestError("publish: a security update needs severity and cves")
        if any(not CVE_RE.match(cve) for cve in cves) or (cves and type != "security"):
            raise ManifestError(f"publish: bad cves {cves!r} (CVE-YYYY-NNNN, security updates only)")
        last = pkg.versions[-1]
        item = {
            "package": package,
            "version": version,
            "date": _dt.date.today().isoformat(),
            "changes": list(changes or ["Lab update published at runtime."]),
            "size": last.size,
            "type": type,
            "advisory": f"{'ELSA' if type == 'security' else 'ELBA'}-2026:{9001 + len(published):04d}",
            "severity": severity,
            "cves": list(cves),
            "depends": [[d.name, d.op, d.version] for d in last.depends],
        }
        ver = _version_from(item)
        history = tuple(v for p, v in _published_versions(rs) if p.name == package)
        full = dataclasses.replace(pkg, versions=pkg.versions + history + (ver,))
        work = rs.root / f".publish-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        try:
            deb.build_deb(rs.manifest, full, ver, rs.serve_dir / "apt", work)
            deb.index(rs.serve_dir / "apt", rs.arch)
            rpm.build_rpm(rs.manifest, full, ver, rs.serve_dir / "rpm", work)
            extra = _published_versions(rs) + [(full, ver)]
            rpm.index(rs.serve_dir / "rpm", rpm.updateinfo(rs.manifest, extra), work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        tmp = rs.serve_dir / ".published.json.tmp"
        tmp.write_text(json.dumps(published + [item], indent=1))
        os.replace(tmp, rs.serve_dir / "published.json")
