"""Windows hosts in a rollout's waves: one real ansible-playbook run of playbooks/rollout.yml over three simulated
Windows hosts (lab.winsim: WinRM with NTLM sealing, the Windows Update Agent model).

- pilot (win-a) installs what the apply role's filters select and freezes the exact update ids into the manifest;
- staged win-b installs exactly those ids, not the security update published after pilot that its filters would
  have taken;
- staged win-c fails half way (an install fault): the rescue rolls it back by KB from its change record - a WUA
  uninstall, and DISM for the cumulative update WUA will not uninstall - and records it as rolled back;
- staged win-d fails every install (disk full): nothing changed, nothing to undo - recorded as unchanged.

The assertions read the simulated hosts' own state and the evidence store. No Linux lab host is needed.
"""

from __future__ import annotations

import json

import pytest
import yaml
from rollout_lab import decisions, evidence, run_playbook, verify

from lab.winsim import testing
from lab.winsim.wua import DEFAULT_CATALOGUE

pytestmark = [pytest.mark.slow]

LATE = {  # published after pilot: matches the filters, not the frozen manifest
    "id": "f0e1d2c3-0000-4000-8000-00000000b100",
    "kb": "KB5099100",
    "title": "2026-12 Security Update for Windows Server 2019 (KB5099100)",
    "categories": ["Security Updates"],
    "msrc_severity": "Critical",
    "release_date": "2026-12-01T00:00:00Z",
    "reboot_behavior": "never",
    "uninstallable": True,
    "cves": [],
}
CU = "d4e5f607-0809-4aab-9bcd-e01234567806"  # KB5099001, not uninstallable by WUA: DISM
WAVES = [
    {"name": "pilot", "serial": 1, "max_fail_percentage": 0, "gate_min_success": 1.0},
    # the staged hosts in one batch (a batch whose every host fails ends the play, whatever the budget) that may
    # fail (the faulty ones must not stop the other); staged is the last wave: no gate
    {"name": "staged", "serial": 3, "max_fail_percentage": 100},
]


@pytest.fixture(scope="module")
def rollout(tmp_path_factory):
    work = tmp_path_factory.mktemp("winrollout")
    catalogue = json.loads(DEFAULT_CATALOGUE.read_text())
    hosts = {
        "win-a": testing.start(work / "win-a", reboot_seconds=0.3),
        "win-b": testing.start(work / "win-b", catalogue=[*catalogue, LATE], reboot_seconds=0.3),
        "win-c": testing.start(work / "win-c", reboot_seconds=0.3),
        "win-d": testing.start(work / "win-d", reboot_seconds=0.3),
    }
    try:
        state = hosts["win-c"].state()
        state["faults"]["install_fail"] = {"KB4487038": "0x80070070"}
        hosts["win-c"].update(faults=state["faults"])
        disk_full = {kb: "0x80070070" for kb in ("KB4470788", "KB4487038", "KB5099001")}
        hosts["win-d"].update(faults={"install_fail": disk_full})
        groups: dict[str, dict] = {}
        for name, wave in (("win-a", "pilot"), ("win-b", "staged"), ("win-c", "staged"), ("win-d", "staged")):
            entry = dict(hosts[name].hostvars())
            entry["asset"] = {
                "name": name,
                "layers": ["windows"],
                "platform": {"distribution": "windows", "version": "2019"},
                "maintenance_window": "always",
            }
            groups.setdefault(f"wave_{wave}", {"hosts": {}})["hosts"][name] = entry
        inventory = work / "hosts.yml"
        inventory.write_text(yaml.safe_dump({"all": {"children": groups}}, sort_keys=True))
        store = work / "evidence.db"
        extra = {
            "change_id": "CHG-WIN-1",
            # the approval a wave after the first needs (docs/rollouts.md)
            "rollout_approval": {
                "approver": "cab-win",
                "approved_at": "2026-01-05T09:00:00Z",
                "change_id": "CHG-WIN-1",
            },
            "rollout_waves": WAVES,
            "rollout_manifest_dir": str(work / "manifests"),
            "apply_windows_reject_list": ["KB890830"],  # the malicious software removal tool: not uninstallable
            "apply_windows_reboot_timeout": 60,
            "rollback_windows_reboot_timeout": 60,
        }
        proc = run_playbook("rollout.yml", inventory, store, extra)
        yield {"proc": proc, "hosts": hosts, "store": store, "work": work}
    finally:
        for host in hosts.values():
            host.stop()


def installed(host) -> set[str]:
    state = host.state()
    return {u["kb"] for u in state["catalogue"] if u["id"] in state["installed"]}


def test_pilot_freezes_the_exact_update_ids_it_installed(rollout):
    out = rollout["proc"].stdout
    assert "win-a" in out and rollout["proc"].returncode != 0, out[-3000:]  # win-c failed on purpose
    pilot = installed(rollout["hosts"]["win-a"])
    assert pilot == {"KB4470788", "KB4487038", "KB5099001"}, out[-3000:]
    (manifest_file,) = (rollout["work"] / "manifests").glob("*.json")
    manifest = json.loads(manifest_file.read_text())["manifest"]
    catalogue = {u["kb"]: u["id"] for u in rollout["hosts"]["win-a"].state()["catalogue"]}
    assert manifest == {"windows_update": {kb: catalogue[kb] for kb in pilot}}
    (frozen,) = decisions(rollout["store"], "manifest_frozen")
    assert frozen["manifest"] == manifest


def test_staged_installs_exactly_the_frozen_ids(rollout):
    win_b = rollout["hosts"]["win-b"]
    assert installed(win_b) == {"KB4470788", "KB4487038", "KB5099001"}, rollout["proc"].stdout[-3000:]
    assert "KB5099100" not in installed(win_b)  # published after pilot, selected by the filters, never frozen
    patch_calls = [c for c in win_b.calls() if c.startswith("module ") and '"operation": "install"' in c]
    assert patch_calls and all(CU in c for c in patch_calls[:1])
    records = [r for r in evidence(rollout["store"]) if r["kind"] == "change" and r["host"] == "win-b"]
    changes = [c for r in records if r["data"].get("layer") == "windows" for c in r["data"].get("changes", [])]
    assert sorted(c["component"] for c in changes) == ["KB4470788", "KB4487038", "KB5099001"]


def test_a_failed_windows_host_is_rolled_back_by_kb(rollout):
    win_c = rollout["hosts"]["win-c"]
    # installed in the failed patch, removed by the rescue: a WUA uninstall, DISM for the cumulative update
    assert installed(win_c) == set(), rollout["proc"].stdout[-3000:]
    calls = win_c.calls()
    assert any(c.startswith("dism remove Package_for_RollupFix~") for c in calls)
    assert any('"operation": "uninstall"' in c and "KB4470788" in c for c in calls)
    (rolled,) = [d for d in decisions(rollout["store"], "rolled_back") if d.get("host") in (None, "win-c")]
    assert "KB4487038" in json.dumps(rolled)  # the reason names the update that failed
    outcomes = {d.get("host") for d in decisions(rollout["store"], "rolled_back")}
    assert "win-b" not in outcomes and "win-a" not in outcomes
    assert verify(rollout["store"])["ok"] is True


def test_a_windows_host_whose_every_install_failed_is_recorded_unchanged(rollout):
    assert installed(rollout["hosts"]["win-d"]) == set()
    (unchanged,) = [d for d in decisions(rollout["store"], "unchanged") if d.get("host") == "win-d"]
    assert "ERROR_DISK_FULL" in unchanged["reason"] and "lists no change" in unchanged["note"]
    assert "win-d" not in {d.get("host") for d in decisions(rollout["store"], "rolled_back")}
