# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The governed rollout on real lab hosts (issue 17): one pilot -> staged run under a baseline (a KEV-expedited
update, an approve pattern, a reject pattern, the delay), an exception on the staged host and the staged wave's
approval - what each host installed, read in its chroot, and why the rest waited, read in the evidence. Two
simulated Windows hosts (lab.winsim) take part in the same run under the baseline of layer windows: the delay per MSRC
severity and per classification, a KB reject pattern and the KEV expedite decide which update ids they install. Then the
plan's refusals, which touch no host: a wave without its approval, an expired exception; and check mode, which
plans the approved set from a real scan of the host.

The lab's packages carry made-up CVE ids (lab/repos/manifest.yml); the KEV file below lists one of them in the CISA
catalogue's format. docs/governance.md, "In the rollout"."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from rollout_lab import (
    BASELINE,
    PATCHED,
    decisions,
    evidence,
    reset,
    rollout,
    run_playbook,
    versions,
    write_inventory,
)

from lab.winsim import testing
from lab.winsim.wua import DEFAULT_CATALOGUE

pytestmark = [pytest.mark.lab, pytest.mark.slow]

TODAY = dt.datetime.now(dt.UTC).date()
POLICY = {
    "baselines": [
        {
            "name": "lab-linux",
            "match": {"layer": ["os"]},
            "approve_after_days": {"critical": 7, "high": 7, "medium": 14, "low": 14, "unknown": 30},
            "approve": ["lab-cron"],
            "reject": ["lab-web"],
            "expedite": {"kev": True},
        },
        {
            "name": "lab-windows",
            "match": {"layer": ["windows"], "platform": ["windows"]},
            # a classification first, then the MSRC severity word
            "approve_after_days": {"Definition Updates": 0, "critical": 7, "important": 14, "moderate": 14},
            "reject": ["KB890830"],  # the malicious software removal tool
            "expedite": {"kev": True},
        },
    ]
}
FRESH = {  # a moderate security update released today: waits its 14 days
    "id": "f0e1d2c3-0000-4000-8000-00000000b200",
    "kb": "KB5099200",
    "title": "2026-12 Security Update for Windows Server 2019 (KB5099200)",
    "categories": ["Security Updates"],
    "msrc_severity": "Moderate",
    "release_days_ago": 0,
    "reboot_behavior": "never",
    "uninstallable": True,
    "cves": [],
}
WIN_APPROVED = {"KB4470788", "KB4487038", "KB5099001", "KB2267602"}
KEV = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities (lab slice: the lab's made-up CVE)",
    "catalogVersion": "lab",
    "dateReleased": "2026-02-20T00:00:00Z",
    "count": 2,
    "vulnerabilities": [
        {"cveID": "CVE-2026-21037", "vendorProject": "Everylayer Lab", "product": "lab-agent",
         "vulnerabilityName": "lab-agent metrics parser heap overflow", "dateAdded": "2026-02-20",
         "dueDate": "2026-03-13", "knownRansomwareCampaignUse": "Unknown", "requiredAction": "Apply updates."},
        {"cveID": "CVE-2026-21001", "vendorProject": "Everylayer Lab", "product": "winsim KB5099001",
         "vulnerabilityName": "lab Windows cumulative update's made-up CVE", "dateAdded": "2026-02-20",
         "dueDate": "2026-03-13", "knownRansomwareCampaignUse": "Unknown", "requiredAction": "Apply updates."},
    ],
}  # fmt: skip


@pytest.fixture()
def two_hosts():
    hosts = ["lab-apt-01", "lab-apt-02"]
    reset(*hosts)
    yield hosts
    reset(*hosts)


@pytest.fixture()
def windows_hosts(tmp_path):
    """Two simulated Windows hosts (WinRM, the Windows Update Agent model) with a moderate update released today."""
    catalogue = [*json.loads(DEFAULT_CATALOGUE.read_text()), FRESH]
    hosts = {
        name: testing.start(tmp_path / name, catalogue=catalogue, reboot_seconds=0.3) for name in ("win-p", "win-s")
    }
    yield hosts
    for host in hosts.values():
        host.stop()


def add_windows(inventory, hosts, waves):
    data = yaml.safe_load(inventory.read_text())
    for name, wave in waves.items():
        entry = dict(hosts[name].hostvars())
        entry["asset"] = {"name": name, "layers": ["windows"], "platform": {"distribution": "windows"}}
        data["all"]["children"][f"wave_{wave}"]["hosts"][name] = entry
    inventory.write_text(yaml.safe_dump(data, sort_keys=True))


def installed(host) -> set[str]:
    state = host.state()
    return {u["kb"] for u in state["catalogue"] if u["id"] in state["installed"]}


def governance_files(tmp_path, expires):
    (tmp_path / "policy.yml").write_text(yaml.safe_dump(POLICY))
    (tmp_path / "kev.json").write_text(json.dumps(KEV))
    exceptions = {
        "exceptions": [
            {
                "id": "EXC-LAB-1",
                "assets": ["lab-apt-02"],
                "packages": ["lab-cron"],
                "reason": "the staged host's cron jobs are certified on 1.0 only",
                "owner": "ops-team",
                "approver": "ciso",
                "expires": expires.isoformat(),
            }
        ]
    }
    (tmp_path / "exceptions.yml").write_text(yaml.safe_dump(exceptions, sort_keys=False))
    settings = {"policy": str(tmp_path / "policy.yml"), "kev": str(tmp_path / "kev.json")}
    return settings, str(tmp_path / "exceptions.yml")


def test_baseline_exception_expedite_and_approval_in_one_rollout(tmp_path, two_hosts, windows_hosts):
    inventory = write_inventory(tmp_path / "hosts.yml", {"lab-apt-01": "pilot", "lab-apt-02": "staged"})
    add_windows(inventory, windows_hosts, {"win-p": "pilot", "win-s": "staged"})
    store = tmp_path / "evidence.sqlite"
    baseline, exceptions = governance_files(tmp_path, TODAY + dt.timedelta(days=5))
    # the Windows hosts' scan takes definition updates too: the baseline approves them by classification
    baseline["windows_scan"] = {"category_names": ["Security Updates", "Update Rollups", "Definition Updates"]}
    staged = {
        "approver": "cab-chair",
        "approved_at": f"{TODAY - dt.timedelta(days=1)}T16:00:00Z",
        "change_id": "CHG-TEST-1",
    }
    run = rollout(
        inventory,
        store,
        rollout_baseline=baseline,
        rollout_exceptions=exceptions,
        rollout_approvals={"staged": staged},
    )
    assert run.returncode == 0, run.stdout[-4000:]
    # the plan lists the exception that expires within the policy's 14 days (a warning: shown at any verbosity)
    assert f"exceptions expiring soon: EXC-LAB-1 (ops-team) on {TODAY + dt.timedelta(days=5)}" in run.stderr

    # pilot installed what its baseline approved (KEV-expedited lab-agent, approve-pattern lab-cron) and nothing
    # else; staged installed the frozen lab-agent only: its lab-cron is excepted
    assert versions("lab-apt-01") == PATCHED
    assert versions("lab-apt-02") == {"lab-agent": PATCHED["lab-agent"], "lab-cron": BASELINE["lab-cron"]}
    assert versions("lab-apt-01", ["lab-web", "lab-db"]) == {"lab-web": "1.0-1", "lab-db": "1.0-1"}

    found = {d["host"]: d for d in decisions(store, "baseline")}
    pilot, later = found["lab-apt-01"]["baseline"], found["lab-apt-02"]["baseline"]
    approved = {i["component"]: i for i in pilot["approved"]}
    assert set(approved) == {"lab-agent", "lab-cron"}
    assert approved["lab-agent"]["expedited"] is True and "KEV CVE-2026-21037" in approved["lab-agent"]["reason"]
    assert approved["lab-agent"]["version"] == PATCHED["lab-agent"]
    assert "approve pattern 'lab-cron'" in approved["lab-cron"]["reason"]
    rejected = {i["component"]: i["reason"] for i in pilot["rejected"]}
    assert rejected == {"lab-web": "baseline lab-linux: reject pattern 'lab-web'"}
    waiting = {i["component"]: i for i in pilot["waiting"]}
    assert "lab-db" in waiting and waiting["lab-db"]["approves_on"] > TODAY.isoformat()
    assert [(i["component"], i["exception"]) for i in later["excepted"]] == [("lab-cron", "EXC-LAB-1")]
    assert [i["component"] for i in later["approved"]] == ["lab-agent"]

    # the staged wave's approval, recorded before its host
    (approval,) = decisions(store, "approval")
    assert approval["wave"] == "staged" and approval["approver"] == "cab-chair"
    assert approval["change_id"] == "CHG-TEST-1" and approval["source"] == "rollout_approvals.staged"

    # Windows: pilot installed exactly the update ids its baseline approved; staged the frozen ids its baseline approves
    assert installed(windows_hosts["win-p"]) == WIN_APPROVED, run.stdout[-4000:]
    assert installed(windows_hosts["win-s"]) == WIN_APPROVED
    catalogue = {u["kb"]: u["id"] for u in windows_hosts["win-p"].state()["catalogue"]}
    win = found["win-p"]["baseline"]
    assert win["baseline"] == "lab-windows"
    approved = {i["component"]: i for i in win["approved"]}
    assert {kb: i["version"] for kb, i in approved.items()} == {kb: catalogue[kb] for kb in WIN_APPROVED}
    assert approved["KB5099001"]["expedited"] is True and "KEV CVE-2026-21001" in approved["KB5099001"]["reason"]
    assert "Definition Updates approved after 0 days" in approved["KB2267602"]["reason"]
    assert "critical approved after 7 days (published 2018-11-13)" in approved["KB4470788"]["reason"]
    assert "important approved after 14 days (published 2019-02-12)" in approved["KB4487038"]["reason"]
    assert [(i["component"], i["reason"]) for i in win["rejected"]] == [
        ("KB890830", "baseline lab-windows: reject pattern 'KB890830'")
    ]
    waiting = {i["component"]: i for i in win["waiting"]}
    assert waiting["KB5099200"]["approves_on"] == (TODAY + dt.timedelta(days=14)).isoformat()
    assert {i["component"] for i in found["win-s"]["baseline"]["approved"]} == WIN_APPROVED


def test_the_plan_refuses_a_wave_without_approval_and_an_expired_exception_and_check_mode_plans(tmp_path, two_hosts):
    inventory = write_inventory(tmp_path / "hosts.yml", {"lab-apt-01": "pilot", "lab-apt-02": "staged"})
    store = tmp_path / "evidence.sqlite"
    extra = {"change_id": "CHG-TEST-2", "rollout_run_waves": "pilot,staged"}
    run = run_playbook("rollout.yml", inventory, store, extra)
    assert run.returncode != 0
    assert "wave staged requires an approval record and has none" in run.stdout
    assert "Wave pilot" not in run.stdout  # stopped in the plan: no wave play ran

    baseline, exceptions = governance_files(tmp_path, TODAY - dt.timedelta(days=1))
    run = rollout(inventory, store, rollout_baseline=baseline, rollout_exceptions=exceptions)
    assert run.returncode != 0
    assert f"exceptions.yml line 10: exception EXC-LAB-1 expired on {TODAY - dt.timedelta(days=1)}" in run.stdout
    assert "field exceptions[0].expires" in run.stdout and "Wave pilot" not in run.stdout
    assert versions("lab-apt-01") == versions("lab-apt-02") == BASELINE

    # check mode: the plan still scans the host (facts read, not forecast) and plans exactly the approved set
    baseline, _ = governance_files(tmp_path, TODAY + dt.timedelta(days=5))
    extra = {
        "rollout_run_waves": "pilot",
        "rollout_baseline": baseline,
        "reboot_policy": "never",
        "rollout_manifest_dir": str(tmp_path / "manifests"),
    }
    run = run_playbook("rollout.yml", inventory, store, extra, "--check")
    assert run.returncode == 0, run.stdout[-3000:]
    assert versions("lab-apt-01") == BASELINE
    planned = [r for r in evidence(store) if r["kind"] == "change" and r["data"].get("simulated")]
    assert [(r["host"], {c["component"]: c["after"] for c in r["data"]["changes"]}) for r in planned] == [
        ("lab-apt-01", PATCHED)
    ]
