"""The processes the lab and its tests start: a free port for one, wait until it listens there, stop it.

Every wait is bounded.

Usage::

    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    wait_for_port("127.0.0.1", port, 20, proc, name="simulator sw1", log=log_path)  # ProcessError naming why
    ...
    stop(proc, grace=10)  # SIGTERM, up to 10 s, then SIGKILL
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

#: how much of a process's log an error quotes
TAIL_BYTES = 2000


class ProcessError(RuntimeError):
    """A process did not come up on its port, or outlived SIGKILL; the message names it, the port and its words."""


def log_tail(log: Path | None, size: int = TAIL_BYTES) -> str:
    """The end of a process's log (its own words), or '' when there is none to read."""
    if log is None:
        return ""
    try:
        return Path(log).read_bytes()[-size:].decode(errors="replace").strip()
    except OSError:
        return ""


def _with_words(message: str, log: Path | None) -> str:
    words = log_tail(log)
    if log is None:
        return message
    return f"{message}; its log {log} ends:\n{words}" if words else f"{message}; its log {log} is empty"


def free_port(low: int = 0, high: int = 0, taken: tuple[int, ...] = ()) -> int:
    """A free 127.0.0.1 port, from [low, high] when given (the caller's own range), else any the system picks;
    never one in ``taken`` (ports handed to processes that are not listening yet)."""
    for port in [p for p in range(low, high + 1) if p not in taken] if low else [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise ProcessError(f"no free port in {low}-{high}")


def wait_for_port(
    host: str,
    port: int,
    timeout: float,
    proc: subprocess.Popen | None = None,
    *,
    name: str = "the process",
    log: Path | None = None,
    interval: float = 0.1,
) -> None:
    """Return as soon as something accepts a TCP connection on ``host:port``; try for ``timeout`` seconds at most.

    Raises ProcessError naming ``name`` and the port: with the exit status when ``proc`` (the process that should
    listen) exits first, else when the time is up; either way quoting the end of ``log``.
    """
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise ProcessError(
                _with_words(f"{name} exited with status {proc.returncode} before listening on {host}:{port}", log)
            )
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            if proc is not None and proc.poll() is not None:  # it died while we waited: say so, not a timeout
                continue
            raise ProcessError(_with_words(f"{name} is not listening on {host}:{port} after {timeout:g}s", log))
        time.sleep(interval)


def stop(
    proc: subprocess.Popen | None, grace: float = 10.0, kill_wait: float = 5.0, *, group: bool = False
) -> int | None:
    """Stop ``proc``: SIGTERM, up to ``grace`` seconds to exit, then SIGKILL; return its exit status.

    ``group=True`` signals its whole process group (a process started with ``start_new_session=True`` leads one),
    so what it started goes too. A process still there ``kill_wait`` seconds after SIGKILL (stuck in the kernel) is
    a ProcessError naming it, never an endless wait. ``None`` or a process that already exited is left as it is.
    """
    if proc is None:
        return None
    if proc.poll() is None:
        _signal(proc, signal.SIGTERM, group)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            _signal(proc, signal.SIGKILL, group)
            try:
                proc.wait(kill_wait)
            except subprocess.TimeoutExpired as exc:
                argv = proc.args if isinstance(proc.args, str) else " ".join(str(a) for a in proc.args[:4])
                raise ProcessError(f"process {proc.pid} ({argv}) still runs {kill_wait:g}s after SIGKILL") from exc
    return proc.returncode


def _signal(proc: subprocess.Popen, sig: int, group: bool) -> None:
    if not group:
        proc.send_signal(sig)
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:  # the group is gone already
        pass
