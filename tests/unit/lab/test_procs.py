"""lab/procs.py: waiting for a process's port and stopping it, with real child processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.procs import ProcessError, free_port, stop, wait_for_port


def child(code: str, log=None) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.PIPE  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_free_port_stays_in_range_and_skips_taken_ports():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        low = busy.getsockname()[1]
        port = free_port(low, low + 20, taken=(low + 1,))
        assert low < port <= low + 20 and port != low + 1
    with pytest.raises(ProcessError, match="no free port"):
        free_port(low, low, taken=(low,))


def test_returns_once_something_listens():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        wait_for_port("127.0.0.1", listener.getsockname()[1], 5)


def test_a_process_that_exits_first_is_named_with_its_status_and_words(tmp_path):
    log = tmp_path / "peer.log"
    proc = child("import sys; print('bind: address already in use'); sys.exit(3)", log)
    port = unused_port()
    with pytest.raises(ProcessError) as info:
        wait_for_port("127.0.0.1", port, 30, proc, name="simulator sw1", log=log)
    msg = str(info.value)
    assert f"simulator sw1 exited with status 3 before listening on 127.0.0.1:{port}" in msg
    assert "bind: address already in use" in msg and str(log) in msg


def test_a_silent_process_times_out_naming_the_port_and_an_empty_log(tmp_path):
    log = tmp_path / "peer.log"
    proc = child("import time; time.sleep(60)", log)
    port = unused_port()
    try:
        with pytest.raises(ProcessError, match=rf"peer is not listening on 127\.0\.0\.1:{port} after 0\.3s; .* empty"):
            wait_for_port("127.0.0.1", port, 0.3, proc, name="peer", log=log)
        assert proc.poll() is None  # the wait gave up; stopping the process is the caller's
    finally:
        assert stop(proc, grace=5) == -signal.SIGTERM


def test_stop_kills_a_process_that_ignores_sigterm():
    proc = child(
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    )
    assert proc.stdout.readline() == b"ready\n"  # SIGTERM is ignored from here on
    assert stop(proc, grace=0.5) == -signal.SIGKILL
    proc.stdout.close()


def test_stop_leaves_an_exited_process_and_none_alone():
    proc = child("raise SystemExit(4)")
    proc.communicate(timeout=30)
    assert stop(proc) == 4
    assert stop(None) is None


class Unkillable:
    """A process stuck in the kernel: it outlives SIGTERM and SIGKILL."""

    pid, args, returncode = 4242, ["/usr/sbin/stuck", "--flag"], None

    def __init__(self):
        self.signals = []

    def poll(self):
        return None

    def send_signal(self, sig):
        self.signals.append(sig)

    def wait(self, timeout=None):
        if timeout is None:
            pytest.fail("an unbounded wait")
        raise subprocess.TimeoutExpired(self.args, timeout)


def test_stop_never_waits_without_end_for_a_process_that_outlives_sigkill():
    proc = Unkillable()
    with pytest.raises(ProcessError, match=r"process 4242 \(/usr/sbin/stuck --flag\) still runs 0\.1s after SIGKILL"):
        stop(proc, grace=0.1, kill_wait=0.1)
    assert proc.signals == [signal.SIGTERM, signal.SIGKILL]


def gone(pid: int) -> bool:
    """No such process, or only its zombie (a container's init may not reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_stop_with_group_takes_what_the_process_started():
    code = (
        "import subprocess, sys, time; "
        "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "print(grandchild.pid, flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    grandchild = int(proc.stdout.readline())
    try:
        assert stop(proc, grace=5, group=True) == -signal.SIGTERM
        deadline = time.monotonic() + 10
        while not gone(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(grandchild)
    finally:
        proc.stdout.close()
        if not gone(grandchild):
            os.kill(grandchild, signal.SIGKILL)
