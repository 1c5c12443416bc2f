"""An OS host's precheck and postcheck run inside its patch's module call (everylayer.patch.packages precheck and
postcheck options): a failed precheck changes nothing and rolls nothing back; a failed postcheck rolls back."""

from pathlib import Path

import pytest
from rollout_lab import BASELINE, PATCHED, decisions, evidence, lab_data, reset, rollout, versions, write_inventory

pytestmark = [pytest.mark.lab, pytest.mark.slow]

HOSTS = ["lab-apt-01", "lab-apt-02", "lab-apt-03", "lab-dnf-01", "lab-dnf-02"]
HOLD = "/etc/everylayer-test-hold"  # the precheck fails where this exists
BROKEN = "/etc/everylayer-test-broken"  # the postcheck fails where this exists


def absent(name: str, path: str) -> dict:
    return {"name": name, "type": "command", "command": ["test", "!", "-e", path]}


def mark(host: str, path: str) -> None:
    target = Path(lab_data()["lab"]["hosts"][host]["root"]) / path.lstrip("/")
    target.write_text("set by test_rollout_checks\n")


@pytest.fixture()
def hosts():
    reset(*HOSTS)
    yield HOSTS
    reset(*HOSTS)  # also removes the marker files


def change_records(store: Path, host: str) -> list[dict]:
    return [r["data"] for r in evidence(store) if r["kind"] == "change" and r["host"] == host]


def test_precheck_failure_changes_nothing_and_postcheck_failure_rolls_back(tmp_path, hosts):
    mark("lab-apt-02", HOLD)
    mark("lab-dnf-02", BROKEN)
    waves = {"lab-apt-01": "pilot", "lab-dnf-01": "pilot", "lab-apt-02": "staged", "lab-dnf-02": "staged"}
    inventory = write_inventory(tmp_path / "hosts.yml", dict(waves, **{"lab-apt-03": "staged"}))
    store = tmp_path / "evidence.sqlite"
    run = rollout(
        inventory,
        store,
        precheck_checks=[absent("no-hold", HOLD)],
        postcheck_checks=[absent("app-healthy", BROKEN)],
        rollout_staged_serial=[3],
        rollout_staged_max_fail_percentage=70,
        rollout_gate_staged_min_success=0.3,
    )
    # two staged hosts failed inside the budget: the playbook completes and reports the failed hosts
    assert run.returncode == 2, run.stdout[-3000:]
    for host in ("lab-apt-01", "lab-dnf-01", "lab-apt-03"):
        assert versions(host) == PATCHED, host

    # precheck: the module failed before touching anything; nothing to roll back, outcome failed
    assert versions("lab-apt-02") == BASELINE
    assert "precheck failed: no-hold" in run.stdout
    held = change_records(store, "lab-apt-02")
    assert held and all(not r.get("changes") for r in held)
    assert held[-1]["precheck"]["failed_checks"] == ["no-hold"]
    rolled_back = {d["host"]: d["reason"] for d in decisions(store, "rolled_back")}
    assert "lab-apt-02" not in rolled_back

    # postcheck: the patch went in, the check after it failed, the rescue restored the old versions
    assert versions("lab-dnf-02") == BASELINE
    assert "postcheck failed: app-healthy" in rolled_back["lab-dnf-02"]
    patched = [r for r in change_records(store, "lab-dnf-02") if r.get("changes")]
    assert {c["component"] for c in patched[0]["changes"]} >= set(PATCHED)
    assert patched[0]["postcheck"]["failed_checks"] == ["app-healthy"]
