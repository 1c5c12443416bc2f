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
import sys
import time
from pathlib import Path

from lab import aptsources
from lab.config import REPO_ROOT, LabError
from lab.system import mounts_under, preflight, run, umount

PACKAGES_FILE = REPO_ROOT / "lab" / "base-packages.txt"
MARKER = ".everylayer-base.json"


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
    cache_dir.mkdir(parents=True, exist_ok=True)
    lock_path = cache_dir / f"{target.name}.lock"
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another process building {target.name} ...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / MARKER).is_file():
            return target
        _build(target, packages, mirror, say)
    return target


def _build(target: Path, packages: list[str], mirror, say) -> None:
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    log = target.parent / f"{target.name}.log"
    _remove_tree(tmp)
    log.write_text("")
    say(f"building the Debian base {target.name} from {mirror.uri} {mirror.suite} (one-time, ~1-2 min; log {log})")
    started = time.monotonic()
    argv = ["debootstrap", "--variant=minbase"]
    if mirror.keyring and Path(mirror.keyring).is_file():
        argv.append(f"--keyring={mirror.keyring}")
    argv += [mirror.suite, str(tmp), mirror.uri]
    try:
        run(argv, log=log)
        # The list goes in with apt (it orders maintainer scripts properly; debootstrap --include does not).
        _apt_install(tmp, mirror, packages, log)
        _finish(tmp)
        (tmp / MARKER).write_text(
            json.dumps({"suite": mirror.suite, "packages": packages, "built": time.time()}, indent=1) + "\n"
        )
        if target.exists():  # an incomplete leftover without the marker
            _remove_tree(target)
        os.rename(tmp, target)
    except BaseException:
        _remove_tree(tmp)
        raise
    say(f"base built in {time.monotonic() - started:.0f} s")


def _apt_install(root: Path, mirror, packages: list[str], log: Path) -> None:
    (root / "etc" / "apt" / "sources.list").write_text(f"deb {mirror.uri} {mirror.suite} main\n")
    _write_policy(root)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8"}
    mounted = []
    try:
        for argv, point in (
            (["mount", "-t", "proc", "proc"], root / "proc"),
            (["mount", "--bind", "/dev"], root / "dev"),
        ):
            run([*argv, str(point)])
            mounted.append(point)
        run(["chroot", str(root), "apt-get", "update"], log=log, env=env)
        install = ["chroot", str(root), "apt-get", "install", "-y", "--no-install-recommends", *packages]
        run(install, log=log, env=env)
        run(["chroot", str(root), "apt-get", "clean"], log=log, env=env)
    finally:
        for point in reversed(mounted):
            umount(point)


def _write_policy(root: Path) -> None:
    policy = root / "usr" / "sbin" / "policy-rc.d"
    policy.write_text("#!/bin/sh\n# lab hosts have no init: never start services from maintainer scripts\nexit 101\n")
    policy.chmod(0o755)


def _finish(root: Path) -> None:
    """Make the base neutral: no host keys (each host makes its own), no Debian sources, no service starts."""
    for key in (root / "etc" / "ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc" / "apt" / "sources.list").write_text("# lab hosts use only the lab's local repositories\n")
    _write_policy(root)
    for sub in ("var/lib/apt/lists", "var/cache/apt/archives"):
        d = root / sub
        if d.is_dir():
            for entry in d.iterdir():
                if entry.is_file() and entry.name != "lock":
                    entry.unlink()
    (root / "etc" / "hostname").write_text("lab-base\n")


def _remove_tree(path: Path) -> None:
    """rm -rf, but first unmount anything debootstrap may have left mounted inside (never follow into mounts)."""
    if not path.exists():
        return
    for point in reversed(mounts_under(path)):
        umount(point)
    if mounts_under(path):
        print(f"warning: {path} still has mounts; not removing it", file=sys.stderr)
        return
    shutil.rmtree(path, ignore_errors=True)
