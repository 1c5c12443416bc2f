"""Baseline layers: an overlay lowerdir (above the Debian base) per package manager with the lab
packages at their baseline versions, installed by that manager from the local repo, plus its profile."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from .build import RepoSet, file_lock, prune
from .hosts import REPO_ID

MANAGERS = ("apt", "dnf", "zypper")
REPO_MOUNT = "mnt/everylayer-repo"  # serve_dir is bind-mounted here (read-only) during the build
RELEASEVER = "9"

EL_OS_RELEASE = """\
NAME="Everylayer Lab Enterprise Linux"
VERSION="9.4 (Lab)"
ID="ellab"
ID_LIKE="rhel fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Everylayer Lab Enterprise Linux 9.4 (Lab)"
ANSI_COLOR="0;31"
HOME_URL="https://everylayer.invalid/"
"""
# Ansible's distribution facts read /etc/redhat-release before os-release: "Red Hat" in it makes
# ansible_distribution=RedHat, os_family=RedHat, pkg_mgr=dnf (a name outside its family map would not).
EL_REDHAT_RELEASE = "Everylayer Lab Enterprise Linux release 9.4 (compatible with Red Hat Enterprise Linux)\n"
# Ansible takes NAME from a SUSE os-release as the distribution; only known names map to os_family Suse.
SUSE_OS_RELEASE = """\
NAME="openSUSE Leap"
VERSION="15.6 (Everylayer Lab)"
ID="ellab-suse"
ID_LIKE="suse opensuse"
VERSION_ID="15.6"
PRETTY_NAME="Everylayer Lab SUSE-like 15.6 (openSUSE Leap compatible)"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:everylayer:lab-suse:15.6"
HOME_URL="https://everylayer.invalid/"
"""


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, check=False, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


@contextlib.contextmanager
def overlay_chroot(base_dir: Path, upper: Path, work: Path, merged: Path, serve_dir: Path) -> Iterator[Path]:
    """Mount lower=base_dir, upper=upper on merged with /proc, /dev and the repo; unmount afterwards."""
    for path in (upper, work, merged):
        path.mkdir(parents=True, exist_ok=True)
    mounts: list[Path] = []
    try:
        opts = f"lowerdir={base_dir},upperdir={upper},workdir={work}"
        _run(["mount", "-t", "overlay", "overlay", "-o", opts, str(merged)])
        mounts.append(merged)
        _run(["mount", "-t", "proc", "proc", str(merged / "proc")])
        mounts.append(merged / "proc")
        _run(["mount", "--bind", "/dev", str(merged / "dev")])
        mounts.append(merged / "dev")
        repo = merged / REPO_MOUNT
        repo.mkdir(parents=True, exist_ok=True)
        _run(["mount", "--bind", "-o", "ro", str(serve_dir), str(repo)])
        mounts.append(repo)
        yield merged
    finally:
        for path in reversed(mounts):
            subprocess.run(
                ["umount", "-l" if path.name == "dev" else "-R", str(path)], check=False, capture_output=True
            )


def _baseline_specs(rs: RepoSet, manager: str) -> list[str]:
    specs = []
    for pkg in rs.manifest.packages:
        if not pkg.baseline:
            continue
        ver = pkg.baseline_version
        if manager == "apt":
            specs.append(f"{pkg.name}={ver.version}")
        elif manager == "dnf":
            specs.append(f"{pkg.name}-{ver.upstream}-{ver.release}")
        else:
            specs.append(f"{pkg.name}={ver.upstream}-{ver.release}")
    return specs


def _install(root: Path, rs: RepoSet, manager: str) -> None:
    specs = _baseline_specs(rs, manager)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}
    if manager == "apt":
        lst = root / "tmp/everylayer-build.list"
        lst.write_text(f"deb [trusted=yes] file:/{REPO_MOUNT}/apt lab main\n")
        opts = ["-o", "Dir::Etc::SourceList=/tmp/everylayer-build.list", "-o", "Dir::Etc::SourceParts=-"]
        _run(["chroot", str(root), "apt-get", *opts, "update"], env=env)
        _run(["chroot", str(root), "apt-get", *opts, "install", "-y", "--no-install-recommends", *specs], env=env)
        _run(["chroot", str(root), "apt-get", *opts, "clean"], env=env)
        lst.unlink()
        for path in (root / "var/lib/apt/lists").glob("*everylayer-repo*"):
            path.unlink()
    elif manager == "dnf":
        opts = [
            "-y",
            "--setopt=reposdir=/nonexistent",
            f"--releasever={RELEASEVER}",
            f"--repofrompath={REPO_ID},file:///{REPO_MOUNT}/rpm",
            f"--setopt={REPO_ID}.gpgcheck=0",
        ]
        _run(["chroot", str(root), "dnf", *opts, "install", "lab-release"], env=env)
        _run(["chroot", str(root), "dnf", *opts, "install", *specs], env=env)
        _run(["chroot", str(root), "dnf", *opts, "clean", "all"], env=env)
    else:
        zopts = [
            "zypper",
            "--non-interactive",
            "--no-gpg-checks",
            "-D",
            "/tmp/everylayer-zypp-repos",
            "-C",
            "/tmp/everylayer-zypp-cache",
        ]
        _run(["chroot", str(root), *zopts, "addrepo", f"dir:///{REPO_MOUNT}/rpm", REPO_ID], env=env)
        _run(["chroot", str(root), *zopts, "install", "lab-release"], env=env)
        _run(["chroot", str(root), *zopts, "install", "--oldpackage", *specs], env=env)
        _zypper_check(root, zopts, env)
        for name in ("everylayer-zypp-repos", "everylayer-zypp-cache"):
            shutil.rmtree(root / "tmp" / name, ignore_errors=True)


def _replace_file(path: Path, text: str) -> None:
    if path.is_symlink() or path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _profile(root: Path, manager: str) -> None:
    """Manager profile; no repo config at all (configure_host adds it per host)."""
    _replace_file(root / "etc/apt/sources.list", "# Everylayer lab: repositories are configured per host\n")
    if manager == "apt":
        return
    # Debian's rpm keeps its database in ~/.rpmdb; rpm hosts keep it where dnf/zypper hosts do.
    _replace_file(root / "etc/rpm/macros.everylayer-lab", "%_dbpath /var/lib/rpm\n")
    (root / "var/lib/rpm").mkdir(parents=True, exist_ok=True)
    (root / "etc/debian_version").unlink(missing_ok=True)  # a whiteout in the layer
    if manager == "dnf":
        _replace_file(root / "etc/os-release", EL_OS_RELEASE)
        _replace_file(root / "usr/lib/os-release", EL_OS_RELEASE)
        _replace_file(root / "etc/redhat-release", EL_REDHAT_RELEASE)
        (root / "etc/system-release").unlink(missing_ok=True)
        (root / "etc/system-release").symlink_to("redhat-release")
        _replace_file(root / "etc/dnf/vars/releasever", RELEASEVER + "\n")
        (root / "etc/yum.repos.d").mkdir(parents=True, exist_ok=True)
    else:
        _replace_file(root / "etc/os-release", SUSE_OS_RELEASE)
        _replace_file(root / "usr/lib/os-release", SUSE_OS_RELEASE)
        (root / "etc/zypp/repos.d").mkdir(parents=True, exist_ok=True)


def _base_identity(base_dir: Path) -> str:
    status = base_dir / "var/lib/dpkg/status"
    return f"{base_dir.resolve()}:{status.stat().st_mtime_ns}:{status.stat().st_size}"


def layer_key(rs: RepoSet, base_dir: Path, manager: str) -> str:
    code = Path(__file__).read_bytes()
    text = f"layer-v1\0{rs.key}\0{_base_identity(base_dir)}\0{manager}\0"
    return hashlib.sha256(text.encode() + code).hexdigest()[:16]


def baseline_layer(rs: RepoSet, base_dir: Path, manager: str, cache_root: Path) -> Path:
    """Build or reuse the baseline layer directory for `manager` hosts (see module docstring)."""
    if manager not in MANAGERS:
        raise ValueError(f"unknown package manager {manager!r} (apt, dnf or zypper)")
    base_dir = Path(base_dir)
    layers = Path(cache_root) / "layers"
    name = f"{manager}-{layer_key(rs, base_dir, manager)}"
    final = layers / name
    with file_lock(layers / f".{name}.lock"):
        if final.is_dir():
            return final
        tmp = layers / f".tmp-{name}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        with overlay_chroot(base_dir, tmp / "upper", tmp / "work", tmp / "merged", rs.pristine_dir) as root:
            _profile(root, manager)
            try:
                _install(root, rs, manager)
            except RuntimeError as exc:
                if manager == "zypper":
                    _record_probe(cache_root, base_dir, False, str(exc))
                raise
            if manager == "zypper":
                _record_probe(cache_root, base_dir, True, "")
            for flag in ("reboot-required", "reboot-required.pkgs", "reboot-needed", "zypp.pid"):
                (root / "run" / flag).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (tmp / "upper" / REPO_MOUNT).rmdir()
        os.rename(tmp / "upper", final)
        shutil.rmtree(tmp, ignore_errors=True)
        prune(layers, keep=name, prefix=f"{manager}-")
    return final


def _zypper_check(root: Path, zopts: list[str], env: dict) -> None:
    """The probe behind zypper_usable(): zypper must see the lab's updates and advisories."""
    updates = _run(["chroot", str(root), *zopts, "list-updates"], env=env).stdout
    patches = _run(["chroot", str(root), *zopts, "list-patches"], env=env).stdout
    if "lab-" not in updates or "ELSA-" not in patches:
        raise RuntimeError(f"zypper does not see the lab updates/advisories:\n{updates}\n{patches}")


def _probe_record(cache_root: Path) -> Path:
    return Path(cache_root) / "layers" / "zypper-probe.json"


def _record_probe(cache_root: Path, base_dir: Path, usable: bool, error: str) -> None:
    record = _probe_record(cache_root)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"usable": usable, "base": str(base_dir), "error": error[-2000:]}))


def zypper_usable(base_dir: Path | None = None, cache_root: Path | None = None) -> bool:
    """True if zypper works against the lab repo in a chroot here.

    Every build of the zypper baseline layer is a real probe (zypper addrepo, install of every
    baseline package, list-updates and list-patches against the repo) and records its outcome under
    cache_root. With base_dir: build (or reuse) that layer now and answer from it. Without: the
    recorded outcome of the last probe under cache_root (default: the lab's cache directory); if
    none was recorded yet, True (verified on Debian 12 with zypper 1.14.42, see docs/lab-repos.md).
    """
    from .build import build

    cache_root = Path(cache_root) if cache_root else default_cache()
    record = _probe_record(cache_root)
    if base_dir is not None:
        try:
            baseline_layer(build(cache_root), Path(base_dir), "zypper", cache_root)
        except RuntimeError:
            return False
    if record.exists():
        return bool(json.loads(record.read_text())["usable"])
    return True


def default_cache() -> Path:
    """The lab's default cache directory ($XDG_CACHE_HOME or ~/.cache, then everylayer-lab)."""
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "everylayer-lab"
