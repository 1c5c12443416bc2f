"""Gates that read the evidence: open rollbacks of an earlier run stop a rollout; uncovered platforms are deferred."""

import re

import pytest
from rollout_lab import BASELINE, PATCHED, decisions, lab, reset, rollout, run_playbook, versions, write_inventory

pytestmark = [pytest.mark.lab, pytest.mark.slow]


@pytest.fixture()
def apt_hosts():
    hosts = ["lab-apt-01", "lab-apt-02", "lab-dnf-01"]
    reset(*hosts)
    yield hosts
    reset(*hosts)  # also wipes any fault marker


def test_an_open_rollback_from_an_earlier_run_stops_the_next_rollout(tmp_path, apt_hosts):
    store = tmp_path / "evidence.sqlite"
    first = rollout(write_inventory(tmp_path / "first.yml", {"lab-apt-02": "pilot"}), store, rollout_waves="pilot")
    assert first.returncode == 0, first.stdout[-3000:]
    run_id = re.search(r"EVIDENCE run=(\S+)", first.stdout).group(1)
    # the rollback of that run fails on lab-apt-02: every version's maintainer script fails now
    lab("fault", "fail-script", "lab-apt-02", "lab-agent")
    inventory = write_inventory(tmp_path / "hosts.yml", {"lab-apt-01": "pilot", "lab-apt-02": "staged"})
    back = run_playbook("rollback.yml", inventory, store, {"rollback_run_id": run_id}, "--limit", "lab-apt-02")
    assert back.returncode != 0
    lab("fault", "clear", "fail-script", "lab-apt-02")

    run = rollout(inventory, store)
    assert run.returncode != 0
    assert "open rollbacks from earlier runs on lab-apt-02" in run.stdout
    assert versions("lab-apt-01") == PATCHED  # pilot ran; the gate after it stopped the rollout
    gate = decisions(store, "gate")[-1]
    assert gate["wave"] == "pilot" and str(gate["passed"]).lower() == "false"
    assert gate["source"] == "evidence"
    assert [(o["host"], o["run_id"]) for o in gate["open_rollbacks"]] == [("lab-apt-02", back_run_id(back))]
    assert int(gate["counts"]["patched"]) == 1


def test_a_staged_host_whose_platform_pilot_did_not_cover_is_deferred(tmp_path, apt_hosts):
    inventory = write_inventory(tmp_path / "hosts.yml", {"lab-apt-01": "pilot", "lab-dnf-01": "staged"})
    store = tmp_path / "evidence.sqlite"
    run = rollout(inventory, store, rollout_staged_serial=[1])
    assert run.returncode == 0, run.stdout[-3000:]
    assert versions("lab-apt-01") == PATCHED
    assert versions("lab-dnf-01") == BASELINE  # never "whatever is newest now"
    deferred = decisions(store, "deferred")
    assert [(d["host"], d["reason"]) for d in deferred] == [
        ("lab-dnf-01", "no tested packages for dnf (none frozen by a freezing wave)")
    ]


def back_run_id(proc) -> str:
    return re.search(r"EVIDENCE run=(\S+)", proc.stdout).group(1)
