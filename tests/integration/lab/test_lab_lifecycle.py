"""up / up again / crash recovery / down / up on a second, small lab (its own state dir and ports), so the
shared lab the other tests use stays up. down must leave no mount and no live recorded process."""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import pytest
from lab_testlib import lab_cli

from lab import state

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PORT_BASE = 2290  # hosts 2291.., repository 8489 (2290 keeps clear of the default lab's 2201..)


@pytest.fixture
def small_lab(tmp_path, lab):
    env = dict(
        os.environ,
        EVERYLAYER_LAB_DIR=str(tmp_path / "state"),
        EVERYLAYER_LAB_PORT_BASE=str(PORT_BASE),
        EVERYLAYER_LAB_INVENTORY_DIR=str(tmp_path / "inventory"),
        EVERYLAYER_LAB_SERVICES="none",
    )
    yield env, tmp_path / "state"
    lab_cli("down", env=env, check=False)


def _mounts_under(path):
    prefix = str(path) + "/"
    with open("/proc/self/mountinfo") as fh:
        return [line.split()[4] for line in fh if line.split()[4].startswith(prefix)]


def _status(env):
    return json.loads(lab_cli("status", "--json", env=env).stdout)


def test_port_in_use_is_a_clear_error(small_lab):
    env, _ = small_lab
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", PORT_BASE + 1))
        sock.listen()
        proc = lab_cli("up", "--hosts", "2", env=env, check=False)
    assert proc.returncode == 2
    assert f"port {PORT_BASE + 1}" in proc.stderr and "already in use" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_up_twice_crash_recovery_down_and_up(small_lab, lab, tmp_path):
    env, state_dir = small_lab
    lab_cli("up", "--hosts", "3", env=env)
    first = state.read(state_dir)
    assert sorted(first["hosts"]) == ["lab-apt-01", "lab-dnf-01", "lab-zypper-01"] or len(first["hosts"]) == 3
    assert all(h["state"] == "up" for h in _status(env)["hosts"])
    assert (tmp_path / "inventory" / "hosts.yml").is_file()

    # A second up is a no-op for healthy hosts: same sshd processes.
    lab_cli("up", "--hosts", "3", env=env)
    second = state.read(state_dir)
    assert {k: v["pid"] for k, v in second["pids"].items()} == {k: v["pid"] for k, v in first["pids"].items()}

    # A "crash": the supervisor and one sshd die without the lab knowing; up repairs both.
    victim = "sshd:lab-apt-01"
    for name in ("supervisor", victim):
        os.kill(second["pids"][name]["pid"], signal.SIGKILL)
    time.sleep(0.3)
    lab_cli("up", "--hosts", "3", env=env)
    repaired = state.read(state_dir)
    assert repaired["pids"][victim]["pid"] != second["pids"][victim]["pid"]
    assert all(h["state"] == "up" for h in _status(env)["hosts"])

    recorded = list(repaired["pids"].values())
    assert _mounts_under(state_dir)
    lab_cli("down", env=env)
    assert _mounts_under(state_dir) == []
    assert [r for r in recorded if state.alive(r)] == []
    assert _status(env)["hosts"] == []

    # The shared lab was not touched.
    assert all(h["state"] == "up" for h in json.loads(lab_cli("status", "--json").stdout)["hosts"])

    lab_cli("up", "--hosts", "3", env=env)
    assert all(h["state"] == "up" for h in _status(env)["hosts"])
