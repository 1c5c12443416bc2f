"""Small privileged helpers: preflight checks, running commands, mounts read from /proc/self/mountinfo."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from lab.config import LabError


def preflight(need_debootstrap: bool = False) -> None:
    if not sys.platform.startswith("linux"):
        raise LabError(f"the lab needs Linux (overlayfs, chroot, unshare); this is {sys.platform}")
    if os.geteuid() != 0:
        raise LabError("the lab needs root (mount, chroot, unshare): run it with sudo or as root")
    for tool in ("mount", "umount", "unshare", "chroot"):
        if not shutil.which(tool):
            raise LabError(f"{tool} not found: install util-linux / coreutils")
    if need_debootstrap and not shutil.which("debootstrap"):
        raise LabError("debootstrap not found: apt-get install -y debootstrap (scripts/apt-packages.txt lists it)")


def run(argv: list[str], *, check: bool = True, log: Path | None = None, **kw) -> subprocess.CompletedProcess:
    """Run argv (never a shell string); on failure raise LabError with the tail of its output."""
    if log is not None:
        with open(log, "ab") as fh:
            proc = subprocess.run(argv, stdout=fh, stderr=subprocess.STDOUT, check=False, **kw)
        if check and proc.returncode != 0:
            tail = log.read_bytes()[-1500:].decode(errors="replace")
            raise LabError(f"{' '.join(argv[:3])} ... failed (rc={proc.returncode}); see {log}:\n{tail}")
        return proc
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kw)
    if check and proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip()[-1500:]
        raise LabError(f"{' '.join(argv)} failed (rc={proc.returncode}): {msg}")
    return proc


def _unescape(path: str) -> str:
    return path.encode().decode("unicode_escape") if "\\" in path else path


def mount_points() -> list[str]:
    """Every mount point of this mount namespace, in mount order."""
    points = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            points.append(_unescape(line.split()[4]))
    return points


def mounts_under(prefix: Path) -> list[str]:
    pre = str(prefix).rstrip("/") + "/"
    return [p for p in mount_points() if p.startswith(pre) or p == str(prefix)]


def is_mounted(path: Path) -> bool:
    return str(path) in mount_points()


def umount(path: Path | str) -> None:
    """Unmount one mount point we made; fall back to a lazy detach when it is still busy."""
    proc = subprocess.run(["umount", str(path)], capture_output=True, text=True, check=False)
    if proc.returncode != 0 and str(path) in mount_points():
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


class system_mounts:  # noqa: N801 - used as a context manager: `with system_mounts(root):`
    """proc and /dev inside a chroot for the duration of a block (dpkg's maintainer scripts need them)."""

    def __init__(self, root: Path):
        self.root = root
        self.points: list[Path] = []

    def __enter__(self):
        try:
            for argv, point in (
                (["mount", "-t", "proc", "proc"], self.root / "proc"),
                (["mount", "--bind", "/dev"], self.root / "dev"),
            ):
                run([*argv, str(point)])
                self.points.append(point)
        except BaseException:
            self.__exit__(None, None, None)  # a failed /dev mount leaves no proc mount behind
            raise
        return self

    def __exit__(self, *exc):
        for point in reversed(self.points):
            umount(point)
        self.points = []


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
