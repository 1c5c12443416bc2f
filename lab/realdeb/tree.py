"""Cached trees of the real-archive tier, built once per machine and stacked with overlayfs per test session.

Under ${XDG_CACHE_HOME:-~/.cache}/everylayer-lab/realdeb/:

- ``base-<key>``: ``debootstrap --variant=minbase <release> --include=python3`` from the machine's own mirror
  (only the release suite: every package is at its release version);
- ``kernel-<key>``: an overlay upper directory over that base with the release's ``linux-image-amd64``
  installed (the kernel variant);
- ``debs/``: every .deb a session downloaded, copied back into the next session's apt cache.

Each is built in a temporary directory and renamed into place, under a lock.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from lab import aptsources
from lab.base import CHROOT_ENV as ENV
from lab.base import build_once, debootstrap, find_mirror, write_policy
from lab.config import LabError
from lab.system import preflight, run, system_mounts, umount

BASE_PACKAGES = ("python3",)  # what the module needs on a host; nothing of the lab's own
KERNEL_PACKAGE = "linux-image-amd64"
MARKER = ".everylayer-realdeb.json"


def cache_root() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path(os.environ.get("HOME", "/root")) / ".cache")
    return Path(xdg).absolute() / "everylayer-lab" / "realdeb"


def release_sources(mirror: aptsources.Mirror) -> str:
    keyring = f" [signed-by={mirror.keyring}]" if mirror.keyring else ""
    return f"deb{keyring} {mirror.uri} {mirror.suite} main\n"


def update_sources(sources: list[aptsources.AptSource], suite: str) -> str:
    """sources.list lines for the release suite and its -updates/-security suites, as the machine has them."""
    wanted = (suite, f"{suite}-updates", f"{suite}-security")
    lines = []
    for source in sources:
        if "deb" not in source.types or "main" not in source.components:
            continue
        signed = source.option("signed-by")
        opts = f" [signed-by={signed}]" if signed else ""
        for uri in source.uris:
            for name in source.suites:
                if name in wanted:
                    lines.append((wanted.index(name), f"deb{opts} {uri} {name} main"))
    found = {i for i, _ in lines}
    missing = [wanted[i] for i in (1, 2) if i not in found]
    if 0 not in found or missing:
        raise LabError(
            f"the machine's apt sources do not list {', '.join([wanted[0]] * (0 not in found) + missing)} "
            "(component main): the real-archive tier needs the release suite and its -updates/-security suites"
        )
    return "".join(line + "\n" for _i, line in sorted(lines))


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def ensure_base(say=print) -> tuple[Path, aptsources.Mirror]:
    """The bootstrapped release tree (built once): minbase + python3, the release suite only."""
    preflight(need_debootstrap=True)
    mirror = find_mirror()
    target = cache_root() / f"base-{_key(mirror.uri, mirror.suite, *BASE_PACKAGES)}"

    def build(tmp: Path) -> dict:
        log = target.parent / f"{target.name}.log"
        log.write_text("")
        say(f"bootstrapping {mirror.suite} from the machine's mirror into {target} (one-time; log {log})")
        debootstrap(tmp, mirror, log, include=BASE_PACKAGES)
        (tmp / "etc" / "apt" / "sources.list").write_text(release_sources(mirror))
        write_policy(tmp)
        _clean_apt(tmp)
        return {"suite": mirror.suite, "packages": list(BASE_PACKAGES)}

    return build_once(target, MARKER, build, say), mirror


def ensure_kernel_layer(base: Path, mirror: aptsources.Mirror, say=print) -> Path:
    """An overlay upper directory over ``base`` holding the release's kernel (installed once, then cached)."""
    target = cache_root() / f"kernel-{_key(base.name, KERNEL_PACKAGE)}"

    def build(tmp: Path) -> dict:
        log = target.parent / f"{target.name}.log"
        log.write_text("")
        say(f"installing the release kernel ({KERNEL_PACKAGE}) into a cached layer (one-time; log {log})")
        upper, work, root = tmp / "upper", tmp / "work", tmp / "root"
        for d in (upper, work, root):
            d.mkdir(parents=True)
        run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={base},upperdir={upper},workdir={work}", str(root)])
        try:
            with system_mounts(root):
                debs = cache_root() / "debs"
                seed_debs(root, debs)
                run(["chroot", str(root), "apt-get", "-q", "update"], log=log, env=ENV)
                run(
                    ["chroot", str(root), "apt-get", "install", "-y", "-q", "--no-install-recommends", KERNEL_PACKAGE],
                    log=log,
                    env=ENV,
                )
                harvest_debs(root, debs)
                _clean_apt(root)
        finally:
            umount(root)
        shutil.rmtree(work, ignore_errors=True)
        root.rmdir()
        return {"package": KERNEL_PACKAGE}

    return build_once(target, MARKER, build, say) / "upper"


def seed_debs(root: Path, debs: Path) -> None:
    """Hard-link (or copy) the cached .debs into the chroot's apt archive so apt downloads only what is new."""
    archive = root / "var" / "cache" / "apt" / "archives"
    archive.mkdir(parents=True, exist_ok=True)
    for deb in debs.glob("*.deb") if debs.is_dir() else ():
        dest = archive / deb.name
        if dest.exists():
            continue
        try:
            os.link(deb, dest)
        except OSError:
            shutil.copy2(deb, dest)


def harvest_debs(root: Path, debs: Path) -> int:
    """Keep every .deb the chroot's apt downloaded in the cache for the next session; return how many were new."""
    debs.mkdir(parents=True, exist_ok=True)
    new = 0
    for deb in (root / "var" / "cache" / "apt" / "archives").glob("*.deb"):
        dest = debs / deb.name
        if not dest.exists():
            tmp = debs / f".{deb.name}.tmp"
            shutil.copy2(deb, tmp)
            os.rename(tmp, dest)
            new += 1
    return new


def _clean_apt(root: Path) -> None:
    for deb in (root / "var" / "cache" / "apt" / "archives").glob("*.deb"):
        deb.unlink()


if __name__ == "__main__":
    BASE, MIRROR = ensure_base()
    ensure_kernel_layer(BASE, MIRROR)
