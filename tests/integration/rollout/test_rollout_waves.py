"""Rollouts over the real lab hosts: waves, budgets, gates, windows, frozen manifests, rollback.

Each test asserts on the versions inside the hosts and on the evidence, not only on the return code.
"""

import json

import pytest
import yaml
from rollout_lab import (
    BASELINE,
    PATCHED,
    decisions,
    evidence,
    lab,
    rollout,
    verify,
    versions,
    waves,
    write_inventory,
)

pytestmark = [pytest.mark.lab, pytest.mark.slow]

WAVES = {
    "lab-apt-01": "pilot",
    "lab-dnf-01": "pilot",
    "lab-zypper-01": "pilot",
    "lab-apt-02": "staged",
    "lab-dnf-02": "staged",
    "lab-apt-03": "full",
}


def changed_hosts(store):
    return sorted({r["host"] for r in evidence(store) if r["kind"] == "change" and r["data"].get("changes")})


def test_a_four_wave_rollout_with_a_canary_patches_every_wave_in_order(tmp_path, fresh_hosts):
    """canary -> pilot -> staged -> full: the canary is one entry of rollout_waves (data), nothing else changes."""
    four = {"lab-apt-01": "canary", **{h: w for h, w in WAVES.items() if h != "lab-apt-01"}}
    inventory = write_inventory(tmp_path / "hosts.yml", four)
    store = tmp_path / "evidence.sqlite"
    canary = {"name": "canary", "serial": 1}  # first in the list: it freezes what it installs
    rollout_waves = [canary, *waves(pilot={"freeze": True}, staged={"serial": [2]}, full={"serial": [1]})]
    run = rollout(inventory, store, rollout_waves=rollout_waves, everylayer_run_id="run-four-waves")
    assert run.returncode == 0, run.stdout[-3000:]
    for host in four:
        assert versions(host) == PATCHED, host
    assert changed_hosts(store) == sorted(four)
    # each wave's hosts changed before the next wave's: the order of the change records follows the waves
    order = ["canary", "pilot", "staged", "full"]
    changes = [r for r in evidence(store) if r["kind"] == "change" and r["data"].get("changes")]
    assert [order.index(four[r["host"]]) for r in changes] == sorted(order.index(four[r["host"]]) for r in changes)
    gates = decisions(store, "gate")
    assert [g["wave"] for g in gates] == ["canary", "pilot", "staged"]
    assert all(g["passed"] is True and g["source"] == "evidence" for g in gates)
    frozen = decisions(store, "manifest_frozen")
    assert [f["wave"] for f in frozen] == ["canary", "pilot"]
    assert frozen[0]["manifest"] == {"apt": PATCHED}
    assert set(frozen[1]["manifest"]) == {"apt", "dnf", "zypper"}
    # one run id: the evidence's, the manifest file's name and content
    assert {r["run_id"] for r in evidence(store)} == {"run-four-waves"}
    manifest_file = tmp_path / "manifests" / "run-four-waves.json"
    assert json.loads(manifest_file.read_text())["change_id"] == "CHG-TEST-1"
    assert oct((tmp_path / "manifests").stat().st_mode & 0o777) == "0o700"
    assert verify(store)["ok"]


def test_staged_and_full_need_a_change_ticket(tmp_path):
    inventory = write_inventory(tmp_path / "hosts.yml", {"lab-apt-01": "pilot"})
    run = rollout(inventory, tmp_path / "evidence.sqlite", change_id="", rollout_run_waves="")  # every wave
    assert run.returncode != 0
    assert "change_id is required for the waves staged, full" in run.stdout


def test_pilot_failure_stops_everything(tmp_path, fresh_hosts):
    inventory = write_inventory(tmp_path / "hosts.yml", WAVES)
    store = tmp_path / "evidence.sqlite"
    lab("fault", "fail-script", "lab-apt-01", "lab-agent:upgrade")
    run = rollout(inventory, store)
    assert run.returncode != 0
    assert "lab-apt-01 failed in wave pilot" in run.stdout
    # the failed pilot host is rolled back; nothing after it was touched
    for host in WAVES:
        assert versions(host) == BASELINE, host
    rolled = [r for r in evidence(store) if r["kind"] == "rollback"]
    assert [r["host"] for r in rolled] == ["lab-apt-01"]
    assert [d["host"] for d in decisions(store, "rolled_back")] == ["lab-apt-01"]
    assert changed_hosts(store) == ["lab-apt-01"]
    assert verify(store)["ok"]


def test_staged_failure_inside_budget_is_rolled_back_and_rollout_continues(tmp_path, fresh_hosts):
    inventory = write_inventory(tmp_path / "hosts.yml", WAVES)
    store = tmp_path / "evidence.sqlite"
    lab("fault", "fail-script", "lab-apt-02", "lab-agent:upgrade")
    run = rollout(
        inventory,
        store,
        rollout_staged_serial=[2],
        rollout_staged_max_fail_percentage=50,
        rollout_gate_staged_min_success=0.5,
    )
    assert run.returncode != 0  # the failed host stays failed in the recap
    assert versions("lab-apt-02") == BASELINE
    for host in ("lab-apt-01", "lab-dnf-01", "lab-zypper-01", "lab-dnf-02", "lab-apt-03"):
        assert versions(host) == PATCHED, host
    assert [d["host"] for d in decisions(store, "rolled_back")] == ["lab-apt-02"]
    staged_gate = [g for g in decisions(store, "gate") if g["wave"] == "staged"][0]
    assert int(staged_gate["counts"]["rolled_back"]) == 1 and int(staged_gate["counts"]["patched"]) == 1
    assert verify(store)["ok"]


def test_staged_failure_beyond_budget_stops_and_leaves_the_rest_untouched(tmp_path, fresh_hosts):
    inventory = write_inventory(tmp_path / "hosts.yml", WAVES)
    store = tmp_path / "evidence.sqlite"
    lab("fault", "fail-script", "lab-apt-02", "lab-agent:upgrade")
    run = rollout(inventory, store, rollout_staged_serial=[1], rollout_staged_max_fail_percentage=0)
    assert run.returncode != 0
    assert versions("lab-apt-02") == BASELINE
    # staged's second batch and the full wave never ran
    assert versions("lab-dnf-02") == BASELINE
    assert versions("lab-apt-03") == BASELINE
    assert "lab-dnf-02" not in changed_hosts(store) and "lab-apt-03" not in changed_hosts(store)
    assert [g["wave"] for g in decisions(store, "gate")] == ["pilot"]


def test_host_down_mid_batch_is_unknown_and_stops_the_rollout_at_the_gate(tmp_path, fresh_hosts):
    """A host lost during its patch task may be mid-transaction: the evidence has its intent and no outcome, so it
    is `unknown`, which the gate counts as failed (issue 19) - within the batch's budget, but the next wave waits."""
    inventory = write_inventory(tmp_path / "hosts.yml", WAVES)
    store = tmp_path / "evidence.sqlite"
    lab("fault", "stop", "lab-dnf-02")
    try:
        run = rollout(
            inventory,
            store,
            rollout_staged_serial=[2],
            rollout_staged_max_fail_percentage=50,
            rollout_gate_staged_min_success=0.5,
        )
    finally:
        lab("fault", "clear", "stop", "lab-dnf-02")
    assert "UNREACHABLE" in run.stdout
    assert run.returncode != 0
    assert versions("lab-apt-02") == PATCHED  # the batch went on within its budget
    assert versions("lab-dnf-02") == BASELINE
    assert versions("lab-apt-03") == BASELINE  # the staged gate stopped the rollout before full
    assert any(r["kind"] == "unreachable" and r["host"] == "lab-dnf-02" for r in evidence(store))
    gate = decisions(store, "gate")[-1]
    assert gate["wave"] == "staged" and gate["passed"] is False
    assert gate["outcomes"]["lab-dnf-02"] == "unknown" and "unknown state" in gate["reason"]


def test_host_outside_its_window_is_deferred(tmp_path, fresh_hosts):
    policy = tmp_path / "policy.yml"
    policy.write_text(yaml.safe_dump({"windows": {"closed": {"days": []}, "always": {"always": True}}}))
    waves = {"lab-apt-01": "pilot", "lab-apt-02": "staged", "lab-apt-03": "staged"}
    inventory = write_inventory(tmp_path / "hosts.yml", waves, windows={"lab-apt-03": "closed"})
    store = tmp_path / "evidence.sqlite"
    run = rollout(inventory, store, rollout_policy_file=str(policy), rollout_staged_serial=[2])
    assert run.returncode == 0, run.stdout[-3000:]
    assert versions("lab-apt-02") == PATCHED
    assert versions("lab-apt-03") == BASELINE
    deferred = decisions(store, "deferred")
    assert [(d["host"], d["reason"]) for d in deferred] == [("lab-apt-03", "outside window closed")]


def test_check_mode_shows_the_plan_and_changes_nothing(tmp_path, fresh_hosts):
    inventory = write_inventory(tmp_path / "hosts.yml", {"lab-apt-01": "pilot", "lab-dnf-01": "pilot"})
    store = tmp_path / "evidence.sqlite"
    from rollout_lab import run_playbook

    extra = {
        "rollout_run_waves": "pilot",
        "apply_names": ["lab-agent"],
        "rollout_manifest_dir": str(tmp_path / "manifests"),
    }
    run = run_playbook("rollout.yml", inventory, store, extra, "--check")
    assert run.returncode == 0, run.stdout[-3000:]
    assert versions("lab-apt-01") == BASELINE and versions("lab-dnf-01") == BASELINE
    planned = [r for r in evidence(store) if r["kind"] == "change" and r["data"].get("simulated")]
    assert {r["host"] for r in planned} == {"lab-apt-01", "lab-dnf-01"}
    assert all(r["data"]["rollback"]["data"]["after"] == {"lab-agent": PATCHED["lab-agent"]} for r in planned)
    # a simulated pilot freezes nothing: the plan is in the evidence, no manifest file is written
    frozen = decisions(store, "manifest_frozen")
    assert frozen and str(frozen[0]["planned_only"]).lower() == "true" and frozen[0]["path"] is None
    assert not (tmp_path / "manifests").exists()


def test_frozen_manifest_survives_a_newer_package(tmp_path, fresh_hosts, request):
    """Staged and full install what pilot tested, even after a newer version appears in the repository."""
    store = tmp_path / "evidence.sqlite"
    pilot_inv = write_inventory(tmp_path / "pilot.yml", {"lab-apt-01": "pilot"})
    run = rollout(pilot_inv, store, rollout_waves="pilot")
    assert run.returncode == 0, run.stdout[-3000:]
    manifest_file = next((tmp_path / "manifests").glob("*.json"))
    assert json.loads(manifest_file.read_text())["manifest"]["apt"] == PATCHED
    newer = lab_publish_newer("lab-agent")
    request.addfinalizer(lab_unpublish)
    later_inv = write_inventory(tmp_path / "later.yml", {"lab-apt-02": "staged", "lab-apt-03": "full"})
    run = rollout(
        later_inv,
        store,
        rollout_waves="staged,full",
        rollout_manifest_file=str(manifest_file),
        rollout_staged_serial=[1],
        rollout_full_serial=[1],
    )
    assert run.returncode == 0, run.stdout[-3000:]
    for host in ("lab-apt-02", "lab-apt-03"):
        assert versions(host) == PATCHED, f"{host} should have the pilot-tested versions, not {newer}"


def lab_publish_newer(package: str) -> str:
    """Publish a version of ``package`` newer than any in THIS lab's repository (`python -m lab publish`)."""
    import subprocess
    import sys

    from rollout_lab import REPO

    argv = [sys.executable, "-m", "lab", "publish", package]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def lab_unpublish() -> None:
    """Remove versions published at runtime from THIS lab, so later tests see the standard patch set again."""
    import subprocess
    import sys

    from rollout_lab import REPO

    argv = [sys.executable, "-m", "lab", "unpublish"]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
