"""windows_updates faults through ansible-playbook: one simulated host per fault, all in one playbook run."""

from __future__ import annotations

import json

import pytest
from winsim_driver import run_playbook

from lab.winsim import testing

pytestmark = pytest.mark.slow

FAULTS = {
    "download_fail": {"download_fail": {"KB4487038": "0x80240438"}},
    "install_fail": {"install_fail": {"KB4470788": "0x80070070"}},
    "drop_during_install": {"drop_during_install": 1},
    "reboot_never_returns": {"reboot_never_returns": True},
    "reappear_after_reboot": {"reappear_after_reboot": ["KB5099001"]},
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    hosts, inventory = [], {}
    try:
        for index, (scenario, faults) in enumerate(FAULTS.items()):
            host = testing.start(tmp / scenario, reboot_seconds=0.5)
            host.update(faults=faults)
            hosts.append(host)
            inventory[f"win-{index}"] = {**host.hostvars(), "scenario": scenario}
        run = run_playbook("faults.yml", inventory, tmp, out_dir=tmp)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        return {vars_["scenario"]: json.loads((tmp / f"{name}.json").read_text()) for name, vars_ in inventory.items()}
    finally:
        for host in hosts:
            host.stop()


def test_download_failure_names_update_and_hresult(outcomes):
    result = outcomes["download_fail"]
    assert result["failed"] is True
    assert "download of KB4487038" in result["msg"]
    assert "0x80240438 (WU_E_PT_ENDPOINT_UNREACHABLE" in result["msg"]
    assert "KB4470788" in result["downloaded"]


def test_install_failure_keeps_the_change_record(outcomes):
    result = outcomes["install_fail"]
    assert result["failed"] is True and "install of KB4470788" in result["msg"] and "ERROR_DISK_FULL" in result["msg"]
    assert "KB4487038" in [c["component"] for c in result["changes"]]
    assert result["layer"] == "windows" and result["rollback"]["strategy"] == "kb"


def test_connection_dropped_mid_install_is_resumed(outcomes):
    result = outcomes["drop_during_install"]
    assert not result.get("failed"), result["msg"]
    assert result["rounds"][0]["resumed"] is True
    assert len(result["changes"]) == 4 and result["rebooted"] == 1


def test_reboot_that_never_returns_fails_in_time_with_record(outcomes):
    result = outcomes["reboot_never_returns"]
    assert result["failed"] is True and "did not answer over WinRM within 5s" in result["msg"]
    assert len(result["changes"]) == 4


def test_update_reappearing_after_reboot_is_named(outcomes):
    result = outcomes["reappear_after_reboot"]
    assert result["failed"] is True
    assert "KB5099001" in result["msg"] and "applicable again after the reboot" in result["msg"]
    assert "0x800F0922" in result["msg"]
