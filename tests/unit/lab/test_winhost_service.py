"""The lab's winhost service: on by default (off with EVERYLAYER_LAB_WINDOWS=0), a simulated Windows host answering
WinRM in the pilot wave of the lab's asset map, with faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
import winrm

from lab.services import LabContext
from lab.services.winhost import NAME, PASSWORD, WinHostService
from lab.winsim.testing import free_port

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def ctx(tmp_path):
    procs: dict[str, subprocess.Popen] = {}

    def spawn(name, argv, *, cwd=None, env=None, log=None):
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
        procs[name] = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        return procs[name].pid

    def kill(name):
        proc = procs.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)

    def pid(name):
        proc = procs.get(name)
        return proc.pid if proc and proc.poll() is None else None

    context = LabContext(state_dir=tmp_path, port_base=2200, repo_root=REPO, spawn=spawn, kill=kill, pid=pid)
    yield context
    for name in list(procs):
        kill(name)


def test_off_when_asked(ctx, monkeypatch):
    monkeypatch.setenv("EVERYLAYER_LAB_WINDOWS", "0")
    service = WinHostService(port=free_port())
    assert service.up(ctx) == []
    assert ctx.pid(NAME) is None
    assert "disabled" in service.status(ctx)[NAME]


def test_up_by_default_answers_winrm_and_takes_faults(ctx, monkeypatch):
    monkeypatch.delenv("EVERYLAYER_LAB_WINDOWS", raising=False)
    service = WinHostService(port=free_port())
    (asset,) = service.up(ctx)
    assert asset["layers"] == ["windows"] and asset["vars"]["ansible_winrm_message_encryption"] == "always"
    # a wave of the lab's asset map: pilot, so a lab rollout freezes the update ids it installs
    assert asset["wave"] == "pilot" and asset["maintenance_window"] == "always"
    session = winrm.Session(
        f"http://127.0.0.1:{asset['port']}/wsman",
        auth=(asset["vars"]["ansible_user"], PASSWORD),
        transport="ntlm",
        message_encryption="always",
    )
    assert session.run_cmd("hostname").std_out == b"LAB-WIN-01\r\n"
    assert service.inject(ctx, "install-fail", NAME, ["KB4470788", "0x80070070"]).startswith("winhost lab-win-01")
    service.inject(ctx, "reboot-never-returns", NAME, [])
    state = json.loads((ctx.service_dir("winhost") / NAME / "state.json").read_text())
    assert state["faults"] == {"install_fail": {"KB4470788": "0x80070070"}, "reboot_never_returns": True}
    with pytest.raises(ValueError, match="needs a KB and an HRESULT"):
        service.inject(ctx, "download-fail", NAME, ["KB1"])
    with pytest.raises(ValueError, match="no fault"):
        service.inject(ctx, "melt", NAME, [])
    service.inject(ctx, "clear", NAME, [])
    assert json.loads((ctx.service_dir("winhost") / NAME / "state.json").read_text())["faults"] == {}
    # baseline: nothing installed, no history, no fault (the demo's reset between runs)
    dirty = json.loads((ctx.service_dir("winhost") / NAME / "state.json").read_text())
    dirty.update(installed={"x": {"pending": False}}, history=[{"id": "x"}], faults={"drop_during_install": 1})
    (ctx.service_dir("winhost") / NAME / "state.json").write_text(json.dumps(dirty))
    service.inject(ctx, "baseline", NAME, [])
    fresh = json.loads((ctx.service_dir("winhost") / NAME / "state.json").read_text())
    assert (fresh["installed"], fresh["history"], fresh["faults"]) == ({}, [], {})
    assert fresh["boot_id"] == dirty["boot_id"] and fresh["catalogue"] == dirty["catalogue"]
    service.down(ctx)
    assert ctx.pid(NAME) is None
