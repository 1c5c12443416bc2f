"""One Linux lab host: an overlay chroot on its own size-limited tmpfs, running its own sshd.

Layout under ``<state-dir>/hosts/<name>/``: ``disk/`` (tmpfs holding the overlay's upper/ and work/),
``root/`` (the overlay: lowerdir = baseline layer : BASE), ``boot_id`` (bind-mounted over the host's
/proc/sys/kernel/random/boot_id), ``hostkeys/`` (the host's sshd keys, kept across resets) and ``sshd.log``.
Every mount is recorded in the state (``data["mounts"]``) and every process in the pid registry.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
import uuid
from pathlib import Path

from lab import state
from lab.config import LabError
from lab.system import is_mounted, mount_points, port_open, run, umount

DISK_SIZE = os.environ.get("EVERYLAYER_LAB_DISK_SIZE", "1g")
SSHD_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
REQUEST = "run/everylayer-lab/request"
HOST_KEY = "/etc/ssh/ssh_host_ed25519_key"
RUNTIME_KINDS = ("proc", "boot_id", "dev", "devpts", "run")
_DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8), "urandom": (1, 9), "tty": (5, 0)}

SHIM = """#!/bin/sh
# everylayer lab: this host has no kernel of its own. Record the request; the lab supervisor then stops
# this host's sshd and processes, gives it a new boot id and starts it again (or leaves it off for a halt).
case "$(basename "$0")" in
  reboot) action=reboot ;;
  *) action=halt ;;
esac
for arg in "$@"; do
  case "$arg" in
    -c) rm -f /run/everylayer-lab/request; echo "lab: shutdown cancelled"; exit 0 ;;
    -r|--reboot) action=reboot ;;
    -h|-H|-P|--halt|--poweroff) [ "$(basename "$0")" = reboot ] || action=halt ;;
  esac
done
mkdir -p /run/everylayer-lab
echo "$action" > /run/everylayer-lab/request
echo "lab: $action requested"
exit 0
"""


def paths(state_dir: Path, name: str) -> dict[str, Path]:
    d = state_dir / "hosts" / name
    return {
        "dir": d,
        "disk": d / "disk",
        "upper": d / "disk" / "upper",
        "work": d / "disk" / "work",
        "root": d / "root",
        "boot_id": d / "boot_id",
        "hostkeys": d / "hostkeys",
        "log": d / "sshd.log",
    }


# --- mounts ------------------------------------------------------------------------------------------


def _mount(data: dict, host: str, kind: str, target: Path, argv: list[str]) -> None:
    target.mkdir(parents=True, exist_ok=True) if kind != "boot_id" else None
    run(["mount", *argv, str(target)])
    data["mounts"].append({"path": str(target), "host": host, "kind": kind})


def prune_mounts(data: dict) -> None:
    """Forget mount records that are no longer mounted (after a crash or a reboot of the machine)."""
    live = set(mount_points())
    data["mounts"] = [m for m in data["mounts"] if m["path"] in live]


def unmount(data: dict, host: str | None, kinds: tuple[str, ...] | None = None) -> None:
    """Unmount, newest first, the recorded mounts of ``host`` (None: every record) of the given kinds."""
    for record in reversed(list(data["mounts"])):
        if host is not None and record["host"] != host:
            continue
        if kinds is not None and record["kind"] not in kinds:
            continue
        if record["path"] in mount_points():
            umount(record["path"])
        if record["path"] not in mount_points():
            data["mounts"].remove(record)


def _has(data: dict, host: str, kind: str) -> bool:
    return any(m["host"] == host and m["kind"] == kind for m in data["mounts"])


def mount_disk(data: dict, h: dict) -> bool:
    """tmpfs + overlay for host ``h``; returns True when freshly mounted (its files must be written)."""
    name = h["name"]
    p = paths(Path(h["state_dir"]), name)
    if _has(data, name, "overlay") and is_mounted(p["root"]):
        return False
    unmount(data, name)  # a half-made host (e.g. its disk without its overlay) starts over
    for point in (p["root"], p["disk"]):
        if is_mounted(point):
            raise LabError(f"{point} is mounted but not recorded by the lab: unmount it by hand, then retry")
    missing = [d for d in h["lower"] if not Path(d).is_dir()]
    if missing:
        raise LabError(f"{name}: lower layer(s) {', '.join(missing)} vanished (removed from the cache?); rerun up")
    _mount(data, name, "disk", p["disk"], ["-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0755", "tmpfs"])
    p["upper"].mkdir()
    p["work"].mkdir()
    lower = ":".join(h["lower"])
    opts = f"lowerdir={lower},upperdir={p['upper']},workdir={p['work']}"
    try:
        _mount(data, name, "overlay", p["root"], ["-t", "overlay", "-o", opts, "overlay"])
    except LabError:
        unmount(data, name)
        raise
    return True


def mount_runtime(data: dict, h: dict) -> None:
    """proc (with the lab's boot id over it), a minimal /dev with its own devpts, and a fresh /run."""
    name = h["name"]
    p = paths(Path(h["state_dir"]), name)
    root = p["root"]
    if not _has(data, name, "proc"):
        _mount(data, name, "proc", root / "proc", ["-t", "proc", "-o", "nosuid,nodev,noexec", "proc"])
    if not _has(data, name, "boot_id"):
        if not p["boot_id"].exists():
            p["boot_id"].write_text(str(uuid.uuid4()) + "\n")
        _mount(data, name, "boot_id", root / "proc/sys/kernel/random/boot_id", ["--bind", str(p["boot_id"])])
    if not _has(data, name, "dev"):
        dev = root / "dev"
        _mount(data, name, "dev", dev, ["-t", "tmpfs", "-o", "size=1m,mode=0755,nosuid", "tmpfs"])
        for node, (major, minor) in _DEVICES.items():
            os.mknod(dev / node, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
            os.chmod(dev / node, 0o666)  # noqa: S103 - /dev/null & co. are world-writable on every Linux
        for link, target in (
            ("fd", "/proc/self/fd"),
            ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
            ("ptmx", "pts/ptmx"),
        ):
            os.symlink(target, dev / link)
        (dev / "shm").mkdir(mode=0o1777)
        os.chmod(dev / "shm", 0o1777)  # noqa: S103 - sticky, like /tmp
        _mount(
            data,
            name,
            "devpts",
            dev / "pts",
            ["-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=620,gid=5", "devpts"],
        )
    if not _has(data, name, "run"):
        _mount(data, name, "run", root / "run", ["-t", "tmpfs", "-o", "size=64m,mode=0755,nosuid,nodev", "tmpfs"])
        (root / "run" / "sshd").mkdir(mode=0o755, exist_ok=True)
        (root / "run" / "lock").mkdir(mode=0o755, exist_ok=True)


# --- files inside the host ------------------------------------------------------------------------


def populate(h: dict, pubkey: str, configure=None) -> None:
    """Write the host's identity into its upper layer: hostname, root's key, sshd host keys, shims, repos."""
    name = h["name"]
    p = paths(Path(h["state_dir"]), name)
    root = p["root"]
    (root / "etc" / "hostname").write_text(name + "\n")
    (root / "etc" / "hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {name}\n::1 localhost ip6-localhost\n")
    ssh_dir = root / "root" / ".ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(pubkey.strip() + "\n")
    os.chmod(ssh_dir / "authorized_keys", 0o600)
    etc_ssh = root / "etc" / "ssh"
    saved = sorted(p["hostkeys"].glob("ssh_host_*")) if p["hostkeys"].is_dir() else []
    if saved:
        for key in saved:
            shutil.copy2(key, etc_ssh / key.name)
    else:
        # Generated inside the host, ed25519 only: ssh-keygen -A's RSA key costs 1-4 s per host here.
        for key in etc_ssh.glob("ssh_host_*"):
            key.unlink()
        keygen = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{name}", "-f", HOST_KEY]
        run(["chroot", str(root), *keygen], env=SSHD_ENV)
        p["hostkeys"].mkdir(mode=0o700, exist_ok=True)
        for key in etc_ssh.glob("ssh_host_*"):
            shutil.copy2(key, p["hostkeys"] / key.name)
    for tool in ("shutdown", "reboot", "halt", "poweroff"):
        target = root / "usr" / "sbin" / tool
        if target.is_symlink() or target.exists():
            target.unlink()
        target.write_text(SHIM)
        target.chmod(0o755)
    if configure is not None:
        configure(root, h["manager"])


def host_public_keys(state_dir: Path, name: str) -> list[str]:
    d = paths(state_dir, name)["hostkeys"]
    return [k.read_text().split()[0] + " " + k.read_text().split()[1] for k in sorted(d.glob("ssh_host_*_key.pub"))]


def os_release(root: Path) -> dict[str, str]:
    info = {}
    for candidate in (root / "etc" / "os-release", root / "usr" / "lib" / "os-release"):
        try:
            text = candidate.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                info[key.strip()] = value.strip().strip('"')
        break
    return info


# --- sshd and the host's processes ---------------------------------------------------------------


def sshd_name(name: str) -> str:
    return f"sshd:{name}"


def start_sshd(data: dict, h: dict) -> None:
    name, port = h["name"], h["port"]
    p = paths(Path(h["state_dir"]), name)
    if state.alive(data["pids"].get(sshd_name(name))):
        return
    argv = [
        "unshare",
        "--uts",
        "chroot",
        str(p["root"]),
        "/bin/sh",
        "-c",
        'hostname "$0" && exec /usr/sbin/sshd -D -e -p "$1" -h "$2" -o ListenAddress=127.0.0.1 -o UseDNS=no '
        "-o PermitRootLogin=prohibit-password -o MaxStartups=100:30:200 -o MaxSessions=100",
        name,
        str(port),
        HOST_KEY,
    ]
    state.spawn(data, sshd_name(name), argv, env=SSHD_ENV, log=p["log"])


def wait_ready(data: dict, hosts: list[dict], timeout: float = 20.0) -> list[str]:
    """Wait until each host's sshd accepts connections; return the names that did not."""
    pending = {h["name"]: h for h in hosts}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for name, h in list(pending.items()):
            if port_open(h["port"]):
                del pending[name]
            elif not state.alive(data["pids"].get(sshd_name(name))):
                break
        if pending:
            time.sleep(0.1)
    return sorted(pending)


def stop(data: dict, h: dict) -> None:
    """Power the host off: sshd and every process inside it stop, /proc, /dev and /run go. The disk stays."""
    name = h["name"]
    p = paths(Path(h["state_dir"]), name)
    state.kill(data, sshd_name(name))
    state.kill_root(p["root"])
    for key in [k for k in data["pids"] if k.endswith(f":{name}") and k.startswith("fault-")]:
        state.kill(data, key)
    data["faults"].get(name, {}).pop("lock", None)  # a lock holder does not survive a power-off
    unmount(data, name, RUNTIME_KINDS)


def start(data: dict, h: dict, pubkey: str, configure=None) -> None:
    fresh = mount_disk(data, h)
    mount_runtime(data, h)
    if fresh:
        populate(h, pubkey, configure)
    if not h.get("stopped"):
        start_sshd(data, h)


def new_boot_id(state_dir: Path, name: str) -> str:
    boot = str(uuid.uuid4())
    # Written in place: the bind mount follows the inode.
    with open(paths(state_dir, name)["boot_id"], "w") as fh:
        fh.write(boot + "\n")
    return boot


def destroy(data: dict, h: dict) -> None:
    """Stop the host and unmount its overlay and disk (its upper layer is gone: back to the baseline)."""
    stop(data, h)
    unmount(data, h["name"])
    left = [m["path"] for m in data["mounts"] if m["host"] == h["name"]]
    if left:
        raise LabError(f"could not unmount {', '.join(left)} (still busy?)")
