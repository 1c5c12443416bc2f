"""Lock detection against real fcntl locks and pid files held by another process."""

from __future__ import annotations

import subprocess
import sys

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages import locks
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError

HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("locked", flush=True)
time.sleep(60)
"""


@pytest.fixture
def held_lock(tmp_path):
    path = tmp_path / "lock-frontend"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield path, proc.pid
    proc.kill()
    proc.wait()


def test_parse_proc_locks():
    text = (
        "1: POSIX  ADVISORY  WRITE 1234 08:01:131090 0 EOF\n"
        "1: -> POSIX  ADVISORY  WRITE 99 08:01:131090 0 EOF\n"
        "2: OFDLCK ADVISORY  READ  -1 00:05:42 0 EOF\n"
        "3: FLOCK  ADVISORY  WRITE 77 fd:00:555 0 EOF\n"
        "garbage\n"
    )
    assert locks.parse_proc_locks(text) == [(1234, 131090), (77, 555)]


def test_fcntl_holder_names_the_process(held_lock):
    path, pid = held_lock
    found = locks.fcntl_holder(str(path))
    assert found is not None and found[0] == pid
    assert "python" in found[1] and "fcntl" in found[1]


def test_free_and_missing_locks(tmp_path):
    free = tmp_path / "free"
    free.write_text("")
    assert locks.fcntl_holder(str(free)) is None
    assert locks.fcntl_holder(str(tmp_path / "absent")) is None
    assert locks.holder([("fcntl", str(free)), ("pidfile", str(tmp_path / "absent.pid"))]) is None


def test_pidfile_holder(tmp_path, held_lock):
    _, pid = held_lock
    pidfile = tmp_path / "zypp.pid"
    pidfile.write_text(f"{pid}\n")
    assert locks.pidfile_holder(str(pidfile))[0] == pid
    pidfile.write_text("999999999\n")  # stale: no such process
    assert locks.pidfile_holder(str(pidfile)) is None
    pidfile.write_text("garbage")
    assert locks.pidfile_holder(str(pidfile)) is None


def test_wait_times_out_naming_the_holder(held_lock):
    path, pid = held_lock
    ticks = iter(range(100))
    with pytest.raises(PackagesError, match=rf"held by pid {pid} \(.*python.*\); waited 3 s"):
        locks.wait([("fcntl", str(path))], 3, clock=lambda: next(ticks), sleep=lambda s: None)


def test_wait_returns_when_the_lock_is_released(held_lock):
    path, pid = held_lock
    proc_kill = []

    def sleep(_):
        if not proc_kill:
            subprocess.run(["kill", str(pid)], check=True)
            proc_kill.append(pid)
            import os  # noqa: E401
            import time

            while os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z":
                time.sleep(0.05)

    locks.wait([("fcntl", str(path))], 30, sleep=sleep)
    assert proc_kill == [pid]


def test_command_of_long_command_is_shortened(tmp_path):
    proc = tmp_path / "proc" / "42"
    proc.mkdir(parents=True)
    (proc / "cmdline").write_bytes(b"python3\0-c\0" + b"x" * 500 + b"\0")
    text = locks.command_of(42, proc=str(tmp_path / "proc"))
    assert text.startswith("python3 -c xxx") and text.endswith("...") and len(text) == 160
    assert locks.command_of(43, proc=str(tmp_path / "proc")) == "?"
