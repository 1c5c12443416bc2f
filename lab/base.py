"""The cached Debian base every lab host stacks on: debootstrap --variant=minbase + lab/base-packages.txt.

Cached under ${XDG_CACHE_HOME:-~/.cache}/everylayer-lab/base-<hash of package list + suite>, built in a
temporary directory and renamed into place (atomic), under a lock so concurrent ``up`` runs build it once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from lab import aptsources
from lab.config import REPO_ROOT, LabError
from lab.system import mounts_under, preflight, run, system_mounts, umount

PACKAGES_FILE = REPO_ROOT / "lab" / "base-packages.txt"
MARKER = ".everylayer-base.json"
#: the environment of apt and dpkg run in a chroot
CHROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8"}


def read_packages(path: Path = PACKAGES_FILE) -> list[str]:
    names = set()
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            names.update(line.replace(",", " ").split())
    return sorted(names)


def cache_key(packages: list[str], suite: str) -> str:
    text = suite + "\n" + "\n".join(sorted(set(packages))) + "\n"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def find_mirror() -> aptsources.Mirror:
    override = os.environ.get("EVERYLAYER_LAB_MIRROR")
    codename = aptsources.os_codename()
    if override:
        return aptsources.Mirror(
            uri=override, suite=os.environ.get("EVERYLAYER_LAB_SUITE") or codename or "", keyring=None
        )
    mirror = aptsources.pick_mirror(aptsources.read_sources(), codename)
    if mirror is None:
        raise LabError(
            "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources "
            f"(looked for a 'deb' source with suite {codename or '<release>'} and component main); "
            "set EVERYLAYER_LAB_MIRROR=<uri> (and EVERYLAYER_LAB_SUITE) to choose one"
        )
    return mirror


def base_dir(
    cache_dir: Path, packages: list[str] | None = None, suite: str | None = None
) -> tuple[Path, aptsources.Mirror | None]:
    packages = read_packages() if packages is None else packages
    mirror = None
    if suite is None:
        mirror = find_mirror()
        suite = mirror.suite
    return cache_dir / f"base-{cache_key(packages, suite)}", mirror


def ensure_base(cache_dir: Path, say=print) -> Path:
    """Return the cached base for the current package list, building it once if needed."""
    packages = read_packages()
    target, mirror = base_dir(cache_dir, packages)
    if (target / MARKER).is_file():
        return target
    preflight(need_debootstrap=True)

    def build(tmp: Path) -> dict:
        log = target.parent / f"{target.name}.log"
        log.write_text("")
        say(f"building the Debian base {target.name} from {mirror.uri} {mirror.suite} (one-time, ~1-2 min; log {log})")
        debootstrap(tmp, mirror, log)
        # The list goes in with apt (it orders maintainer scripts properly; debootstrap --include does not).
        _apt_install(tmp, mirror, packages, log)
        _finish(tmp)
        return {"suite": mirror.suite, "packages": packages}

    return build_once(target, MARKER, build, say)


def build_once(target: Path, marker: str, build, say=print) -> Path:
    """Build the cached tree ``target`` unless it is there (it holds ``marker``); return it.

    ``build(tmp)`` fills a temporary directory next to ``target`` and returns what the marker records (with the
    time it was built); the directory is then renamed into place, so a tree is either complete or absent. A lock
    file beside it serialises concurrent callers: one that waited finds the tree built by the other.
    """
    if (target / marker).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another process building {target.name} ...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / marker).is_file():
            return target
        tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
        remove_tree(tmp)
        started = time.monotonic()
        try:
            info = build(tmp)
            (tmp / marker).write_text(json.dumps({**info, "built": time.time()}, indent=1) + "\n")
            remove_tree(target)  # an incomplete leftover without the marker
            os.rename(tmp, target)
        except BaseException:
            remove_tree(tmp)
            raise
        say(f"{target.name} built in {time.monotonic() - started:.0f} s")
    return target


def debootstrap(root: Path, mirror: aptsources.Mirror, log: Path, include: tuple[str, ...] = ()) -> None:
    """``debootstrap --variant=minbase`` of the mirror's suite into ``root``, with the mirror's keyring when it has
    one on this machine, and ``--include`` of the given packages."""
    argv = ["debootstrap", "--variant=minbase"]
    if include:
        argv.append(f"--include={','.join(include)}")
    if mirror.keyring and Path(mirror.keyring).is_file():
        argv.append(f"--keyring={mirror.keyring}")
    run([*argv, mirror.suite, str(root), mirror.uri], log=log)


def _apt_install(root: Path, mirror, packages: list[str], log: Path) -> None:
    (root / "etc" / "apt" / "sources.list").write_text(f"deb {mirror.uri} {mirror.suite} main\n")
    write_policy(root)
    with system_mounts(root):
        run(["chroot", str(root), "apt-get", "update"], log=log, env=CHROOT_ENV)
        install = ["chroot", str(root), "apt-get", "install", "-y", "--no-install-recommends", *packages]
        run(install, log=log, env=CHROOT_ENV)
        run(["chroot", str(root), "apt-get", "clean"], log=log, env=CHROOT_ENV)


def write_policy(root: Path) -> None:
    """policy-rc.d that refuses every service start: a chroot has no init for maintainer scripts to start one."""
    policy = root / "usr" / "sbin" / "policy-rc.d"
    policy.write_text("#!/bin/sh\n# a chroot has no init: never start services from maintainer scripts\nexit 101\n")
    policy.chmod(0o755)


def _finish(root: Path) -> None:
    """Make the base neutral: no host keys (each host makes its own), no Debian sources, no service starts."""
    for key in (root / "etc" / "ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc" / "apt" / "sources.list").write_text("# lab hosts use only the lab's local repositories\n")
    write_policy(root)
    for sub in ("var/lib/apt/lists", "var/cache/apt/archives"):
        d = root / sub
        if d.is_dir():
            for entry in d.iterdir():
                if entry.is_file() and entry.name != "lock":
                    entry.unlink()
    (root / "etc" / "hostname").write_text("lab-base\n")


def remove_tree(path: Path) -> None:
    """rm -rf, but first unmount anything left mounted inside (never follow into a mount): a tree that keeps a
    mount is an error, not removed."""
    if not path.exists():
        return
    for point in reversed(mounts_under(path)):
        umount(point)
    if mounts_under(path):
        raise LabError(f"{path} still has mounts; not removing it")
    shutil.rmtree(path, ignore_errors=True)
