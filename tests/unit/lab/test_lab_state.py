"""The state file and pid registry (no root needed: plain child processes)."""

from __future__ import annotations

import sys

import pytest

from lab import state, system
from lab.config import LabError


def test_missing_torn_and_foreign_state_files_start_empty(tmp_path):
    path = tmp_path / "state.json"
    assert state.load(path) == state.empty_state()
    path.write_text("{not json")
    assert state.load(path) == state.empty_state()
    path.write_text('{"version": 99, "hosts": {"x": {}}}')
    assert state.load(path)["hosts"] == {}


def test_locked_saves_on_exit_and_on_error(tmp_path):
    with state.locked(tmp_path) as data:
        data["hosts"]["a"] = {"port": 1}
    assert state.read(tmp_path)["hosts"] == {"a": {"port": 1}}
    with pytest.raises(RuntimeError), state.locked(tmp_path) as data:
        data["hosts"]["b"] = {"port": 2}
        raise RuntimeError("boom")
    assert set(state.read(tmp_path)["hosts"]) == {"a", "b"}


def test_spawn_alive_kill(tmp_path):
    data = state.empty_state()
    pid = state.spawn(data, "sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], log=tmp_path / "log")
    record = data["pids"]["sleeper"]
    assert record["pid"] == pid and state.alive(record)
    assert state.pid_of(data, "sleeper") == pid
    state.kill(data, "sleeper")
    assert "sleeper" not in data["pids"]
    assert not state.alive(record)


def test_a_reused_pid_is_not_ours():
    data = state.empty_state()
    data["pids"]["old"] = {"pid": 1, "start": -5}
    assert state.pid_of(data, "old") is None
    assert state.prune_dead(data) == ["old"]
    assert data["pids"] == {}


def test_processes_in_root_finds_nothing_for_an_unused_root(tmp_path):
    assert state.processes_in_root(tmp_path) == []
    assert state.kill_root(tmp_path) == 0


def test_preflight_messages(monkeypatch):
    monkeypatch.setattr(system.sys, "platform", "darwin")
    with pytest.raises(LabError, match="needs Linux"):
        system.preflight()
    monkeypatch.setattr(system.sys, "platform", "linux")
    monkeypatch.setattr(system.os, "geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root"):
        system.preflight()
    monkeypatch.setattr(system.os, "geteuid", lambda: 0)
    monkeypatch.setattr(system.shutil, "which", lambda tool: None if tool == "debootstrap" else "/bin/" + tool)
    with pytest.raises(LabError, match="debootstrap not found"):
        system.preflight(need_debootstrap=True)
