"""Per-host repository configuration, repo/script faults and package-manager locks."""

from __future__ import annotations

import os
from pathlib import Path

from .payload import FAIL_DIR

APT_LIST = "etc/apt/sources.list.d/everylayer-lab.list"
APT_CONF = "etc/apt/apt.conf.d/50everylayer-lab"
DNF_REPO = "etc/yum.repos.d/everylayer-lab.repo"
ZYPP_REPO = "etc/zypp/repos.d/everylayer-lab.repo"
REPO_ID = "everylayer-lab"
APT_SUITES = ("lab", "lab-updates", "lab-security")


def _write(host_root: Path, rel: str, text: str) -> None:
    path = Path(host_root) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _url(base_url: str, sub: str) -> str:
    return base_url.rstrip("/") + "/" + sub


def _write_config(host_root: Path, manager: str, base_url: str, prefix: str) -> None:
    if manager == "apt":
        url = _url(base_url, prefix + "apt")
        _write(host_root, APT_LIST, "".join(f"deb [trusted=yes] {url} {suite} main\n" for suite in APT_SUITES))
        changelogs = _url(base_url, "apt/changelogs/@CHANGEPATH@_changelog")
        _write(
            host_root,
            APT_CONF,
            "// Everylayer lab: changelogs of lab packages come from the lab repo (apt-get changelog)\n"
            f'Acquire::Changelogs::URI::Override::Origin::Everylayer "{changelogs}";\n',
        )
    elif manager == "dnf":
        url = _url(base_url, prefix + "rpm/")
        _write(
            host_root,
            DNF_REPO,
            f"[{REPO_ID}]\nname=Everylayer Lab\nbaseurl={url}\nenabled=1\ngpgcheck=0\nrepo_gpgcheck=0\n"
            "metadata_expire=0\nskip_if_unavailable=False\n",
        )
    elif manager == "zypper":
        url = _url(base_url, prefix + "rpm/")
        _write(
            host_root,
            ZYPP_REPO,
            f"[{REPO_ID}]\nname=Everylayer Lab\nenabled=1\nautorefresh=1\nbaseurl={url}\ntype=rpm-md\n"
            "gpgcheck=0\nrepo_gpgcheck=0\npkg_gpgcheck=0\nkeeppackages=0\n",
        )
    else:
        raise ValueError(f"unknown package manager {manager!r} (apt, dnf or zypper)")


def configure_host(host_root: Path, manager: str, base_url: str) -> None:
    """Point the host's package manager at the lab repos served at base_url (http://127.0.0.1:PORT/)."""
    _write_config(host_root, manager, base_url, "")


def break_repo(host_root: Path, manager: str, base_url: str) -> None:
    """Point the host at the deliberately broken repo (metadata fails its checksums)."""
    _write_config(host_root, manager, base_url, "broken/")


def fix_repo(host_root: Path, manager: str, base_url: str) -> None:
    """Undo break_repo()."""
    configure_host(host_root, manager, base_url)


FAIL_MODES = ("all", "upgrade")


def set_failing_script(host_root: Path, package: str, failing: bool, mode: str = "all") -> None:
    """Make `package`'s maintainer scripts (deb postinst, rpm %pre) exit 1 on this host, or stop that.

    mode ``all`` fails every version; ``upgrade`` only versions newer than the baseline, so that a
    rollback to the baseline succeeds while the fault is still in place.
    """
    if "/" in package or package in ("", ".", ".."):
        raise ValueError(f"bad package name {package!r}")
    if mode not in FAIL_MODES:
        raise ValueError(f"bad fail-script mode {mode!r}: use one of {', '.join(FAIL_MODES)}")
    marker = Path(host_root) / FAIL_DIR.lstrip("/") / package
    if failing:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{mode}\n")
    else:
        marker.unlink(missing_ok=True)


_APT_LOCK = """\
import fcntl, os, signal
fds = []
for path in ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock"):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fds.append(fd)
print("locked", flush=True)
while True:
    signal.pause()
"""

_DNF_LOCK = """\
import fcntl, os, signal
import dnf.lock
lock = dnf.lock.build_rpmdb_lock("/var/lib/dnf", True)
lock.__enter__()
fd = os.open("/var/lib/rpm/.rpm.lock", os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("locked", flush=True)
while True:
    signal.pause()
"""

# libzypp takes the fcntl lock on /run/zypp.pid only while it reads or writes the pid; a running
# zypper is recognised by its live pid in the file (zypper then exits 7, or waits ZYPP_LOCK_TIMEOUT s).
_ZYPP_LOCK = """\
import fcntl, os, signal
fd = os.open("/run/zypp.pid", os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, b"%d\\n" % os.getpid())
os.fsync(fd)
fcntl.lockf(fd, fcntl.LOCK_UN)
print("locked", flush=True)
while True:
    signal.pause()
"""


def lock_argv(manager: str) -> list[str]:
    """argv to run inside the host chroot that holds the manager's lock until killed; prints "locked"."""
    scripts = {"apt": _APT_LOCK, "dnf": _DNF_LOCK, "zypper": _ZYPP_LOCK}
    if manager not in scripts:
        raise ValueError(f"unknown package manager {manager!r} (apt, dnf or zypper)")
    return ["/usr/bin/python3", "-c", scripts[manager]]
