"""The fleet scan and the run rollback playbooks over real lab hosts, asserted on host state and on their output."""

import csv
import json
import re

import pytest
from rollout_lab import (
    BASELINE,
    PATCHED,
    evidence,
    lab,
    lab_data,
    reset,
    rollout,
    run_playbook,
    versions,
    write_inventory,
    write_layer_inventory,
)

pytestmark = [pytest.mark.lab, pytest.mark.slow]
HOSTS = ["lab-apt-01", "lab-dnf-01"]
WINDOWS = "lab-win-01"  # the lab's simulated Windows host (lab/services/winhost.py)


@pytest.fixture()
def two_fresh_hosts():
    reset(*HOSTS)
    yield HOSTS
    reset(*HOSTS)


def test_scan_reports_every_pending_update_and_changes_nothing(tmp_path, two_fresh_hosts):
    lab("fault", "winhost", "baseline", WINDOWS)  # the lab's Windows host: its catalogue, nothing installed
    waves = dict.fromkeys([*HOSTS, WINDOWS], "pilot")
    (win_asset,) = [a for a in lab_data()["assets"] if a["name"] == WINDOWS]
    address = {WINDOWS: {"ansible_host": win_asset["address"], "ansible_port": win_asset["port"]}}
    inventory = write_layer_inventory(tmp_path / "hosts.yml", waves, address, {})
    reports = tmp_path / "scans"
    extra = {"scan_hosts": "all", "scan_report_dir": str(reports)}
    store = tmp_path / "evidence.sqlite"
    run = run_playbook("scan.yml", inventory, store, extra)
    assert run.returncode == 0, run.stdout[-3000:]
    (report,) = reports.glob("scan-*.json")
    data = json.loads(report.read_text())
    assert sorted(data["hosts"]) == sorted([*HOSTS, WINDOWS])
    # the Windows host is scanned by windows_updates (KBs, MSRC severity), recorded as a scan like the others
    win = data["hosts"].pop(WINDOWS)
    assert win["manager"] == "windows_update" and win["reboot_required"] is False
    kbs = {p["component"]: p for p in win["pending"]}
    assert {"KB4470788", "KB5099001"} <= set(kbs) and kbs["KB4470788"]["severity"] == "critical"
    scans = [r for r in evidence(store) if r["kind"] == "change" and r["data"].get("scan")]
    assert sorted(r["host"] for r in scans) == sorted([*HOSTS, WINDOWS])
    for host in HOSTS:
        pending = {p["component"]: p for p in data["hosts"][host]["pending"]}
        assert len(pending) >= 20, host
        assert pending["lab-agent"]["before"] == BASELINE["lab-agent"]
        assert pending["lab-agent"]["after"] == PATCHED["lab-agent"]
        assert data["hosts"][host]["reboot_required"] is False
        assert versions(host) == BASELINE
    with report.with_suffix(".csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(len(h["pending"]) for h in data["hosts"].values()) + len(kbs)
    assert {"host": WINDOWS, "manager": "windows_update", "package": "KB4470788"}.items() <= next(
        r for r in rows if r["package"] == "KB4470788"
    ).items()
    assert {"host": "lab-apt-01", "package": "lab-agent", "installed": "1.0-1", "candidate": "1.2-1"}.items() <= next(
        r for r in rows if r["host"] == "lab-apt-01" and r["package"] == "lab-agent"
    ).items()
    assert oct(report.stat().st_mode & 0o777) == "0o600" and oct(reports.stat().st_mode & 0o777) == "0o700"
    assert f"scan report: 3 host(s), {len(rows)} pending update(s)" in run.stdout


def test_rollback_playbook_undoes_one_run_on_the_limited_hosts(tmp_path, two_fresh_hosts):
    inventory = write_inventory(tmp_path / "hosts.yml", dict.fromkeys(HOSTS, "pilot"))
    store = tmp_path / "evidence.sqlite"
    run = rollout(inventory, store, rollout_waves="pilot")
    assert run.returncode == 0, run.stdout[-3000:]
    assert all(versions(h) == PATCHED for h in HOSTS)
    run_id = re.search(r"EVIDENCE run=(\S+)", run.stdout).group(1)

    back = run_playbook("rollback.yml", inventory, store, {"rollback_run_id": run_id}, "--limit", "lab-apt-01")
    assert back.returncode == 0, back.stdout[-3000:]
    assert versions("lab-apt-01") == BASELINE
    assert versions("lab-dnf-01") == PATCHED  # outside --limit: untouched
    rollbacks = [r for r in evidence(store) if r["kind"] == "rollback"]
    assert [(r["host"], r["data"]["failed"]) for r in rollbacks] == [("lab-apt-01", False)]
    assert rollbacks[0]["run_id"] != run_id
    assert {c["component"]: c["after"] for c in rollbacks[0]["data"]["changes"]} == BASELINE

    missing = run_playbook("rollback.yml", inventory, store, {}, "--limit", "lab-apt-01")
    assert missing.returncode != 0 and "rollback_run_id is required" in missing.stdout
