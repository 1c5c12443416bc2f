"""The lab's state file and pid registry.

Everything the lab starts or mounts is recorded in ``<state-dir>/state.json`` (under an flock on
``<state-dir>/lock``) so that ``down`` removes exactly that, by pid and by mount point, and an ``up`` after a
crash can tell live records from stale ones. A pid record keeps the process start time, so a pid reused by
an unrelated process after a crash is never mistaken for ours.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

VERSION = 1


def empty_state() -> dict:
    return {"version": VERSION, "hosts": {}, "pids": {}, "mounts": [], "faults": {}, "lab": {}}


def load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return empty_state()
    except (OSError, ValueError):
        # A torn or foreign file: start over (mounts and pids it listed are found again by up's sweep).
        return empty_state()
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return empty_state()
    for key, value in empty_state().items():
        data.setdefault(key, value)
    return data


def save(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


@contextmanager
def locked(state_dir: Path):
    """Hold the lab lock and yield the state dict; it is saved when the block ends (also on error)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "state.json"
    with open(state_dir / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = load(path)
        try:
            yield data
        finally:
            save(path, data)


def read(state_dir: Path) -> dict:
    """A snapshot without the lock (for status and tests)."""
    return load(state_dir / "state.json")


# --- processes -------------------------------------------------------------------------------------


def start_time(pid: int) -> int | None:
    """The process start time in clock ticks since boot (field 22 of /proc/<pid>/stat); None if gone/zombie."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def alive(record: dict | None) -> bool:
    if not record:
        return False
    return start_time(record["pid"]) == record.get("start")


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def terminate(record: dict, timeout: float = 5.0) -> None:
    """SIGTERM the recorded process group (each recorded process leads its own session), then SIGKILL."""
    if not alive(record):
        return
    pid = record["pid"]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + (timeout if sig == signal.SIGTERM else 2.0)
        while time.monotonic() < deadline:
            _reap(pid)
            if not alive(record):
                return
            time.sleep(0.05)


def spawn(data: dict, name: str, argv: list[str], *, cwd=None, env=None, log=None) -> int:
    """Start argv in its own session, record it under ``name`` and return its pid."""
    old = data["pids"].get(name)
    if old:
        terminate(old)
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        if log:
            out.close()
    started = None
    for _ in range(50):
        started = start_time(proc.pid)
        if started is not None:
            break
        time.sleep(0.01)
    data["pids"][name] = {"pid": proc.pid, "start": started, "argv": [str(a) for a in argv][:8]}
    return proc.pid


def kill(data: dict, name: str) -> None:
    record = data["pids"].pop(name, None)
    if record:
        terminate(record)


def pid_of(data: dict, name: str) -> int | None:
    record = data["pids"].get(name)
    return record["pid"] if alive(record) else None


def prune_dead(data: dict) -> list[str]:
    dead = [name for name, rec in data["pids"].items() if not alive(rec)]
    for name in dead:
        del data["pids"][name]
    return dead


def processes_in_root(root: Path) -> list[int]:
    """Pids whose root directory (/proc/<pid>/root) is ``root`` (the chroot of one host)."""
    target = str(root)
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/root") == target:
                found.append(int(entry))
        except OSError:
            continue
    return found


def kill_root(root: Path, timeout: float = 3.0) -> int:
    """Stop every process running inside ``root``: SIGTERM, wait, then SIGKILL. Returns how many there were."""
    pids = processes_in_root(root)
    if not pids:
        return 0
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in pids:
            _reap(pid)
        left = processes_in_root(root)
        if not left:
            return len(pids)
        time.sleep(0.05)
    for pid in processes_in_root(root):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    time.sleep(0.1)
    for pid in pids:
        _reap(pid)
    return len(pids)
