# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout's actions with a baseline and approvals: what one host's plan task scans, selects and records, and
what the plan refuses before any host is touched. The module call on the host is stubbed; the lab test
(tests/integration/rollout/test_rollout_governed.py) runs the same on real hosts."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from ansible_collections.everylayer.patch.plugins.action import rollout_decision, rollout_host_plan, rollout_start
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.action_base import RolloutError
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.gate import DecisionError
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.plan import PlanError
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.waves import WaveError

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "advisories")
KEV = os.path.join(FIX, "kev", "known_exploited_vulnerabilities_slice.json")
POLICY = {
    "baselines": [
        {
            "name": "lab-os",
            "match": {"layer": ["os"]},
            "approve_after_days": {"critical": 0, "high": 7, "unknown": 30},
            "reject": ["kernel-*"],
            "expedite": {"kev": True},
        }
    ]
}
SCAN = {
    "changed": False,
    "layer": "os",
    "changes": [],
    "pending": [
        {"component": "openssl", "kind": "package", "before": "1", "after": "2", "advisories": ["CVE-2014-0160"],
         "severity": "high"},
        {"component": "lab-agent", "kind": "package", "before": "1", "after": "3", "advisories": [], "severity": "high"},
        {"component": "kernel-lab", "kind": "package", "before": "1", "after": "2", "advisories": [], "severity": None},
    ],
}  # fmt: skip


def plugin(module, module_result=None):
    action = module.ActionModule.__new__(module.ActionModule)
    calls = []

    def execute(module_name=None, module_args=None, task_vars=None):
        calls.append((module_name, dict(module_args)))
        return module_result

    action._execute_module = execute
    action._task = SimpleNamespace(check_mode=False)
    return action, calls


def run(module, args, task_vars=None, module_result=None):
    action, calls = plugin(module, module_result)
    full = {key: spec.get("default") for key, spec in module.ARGUMENT_SPEC.items()}
    full.update(args)
    return action.act(full, task_vars or {"inventory_hostname": "lab-apt-01", "group_names": []}), calls


def test_without_a_baseline_the_plan_runs_no_module_on_the_host():
    result, calls = run(rollout_host_plan, {"wave": "pilot", "freeze": True, "asset": {"layers": ["os"]}})
    assert calls == []  # no scan: the OS path costs what it cost before
    assert result["plan"]["manifest"] == {} and "everylayer_decision" not in result


def test_with_a_baseline_the_plan_scans_and_installs_only_what_it_approves():
    args = {
        "wave": "pilot",
        "freeze": True,
        "asset": {"layers": ["os"], "name": "lab-apt-01"},
        "baseline": {"policy": POLICY, "kev": KEV, "now": "2026-12-07", "scan": {"advisory_source": "/x.json"}},
    }
    result, calls = run(rollout_host_plan, args, module_result=SCAN)
    assert calls == [("everylayer.patch.packages", {"advisory_source": "/x.json", "state": "scanned"})]
    assert result["plan"]["manifest"] == {"openssl": "2"}
    assert result["ansible_facts"]["rollout_outcome"] == "pending"
    decision = result["everylayer_decision"]  # recorded by the evidence callback, like rollout_decision's
    assert decision["kind"] == "baseline" and decision["host"] == "lab-apt-01" and decision["wave"] == "pilot"
    assert decision["reason"] == "1 approved, 1 waiting, 1 rejected (1 expedited)"
    assert [i["component"] for i in decision["baseline"]["waiting"]] == ["lab-agent"]
    assert decision["baseline"]["rejected"][0]["reason"] == "baseline lab-os: reject pattern 'kernel-*'"


def test_a_host_whose_baseline_approves_nothing_is_deferred_with_the_reasons():
    scan = dict(SCAN, pending=SCAN["pending"][1:])
    args = {"wave": "pilot", "freeze": True, "baseline": {"policy": POLICY, "now": "2026-12-07"}}
    result, _ = run(rollout_host_plan, args, module_result=scan)
    assert result["ansible_facts"]["rollout_outcome"] == "deferred"
    decision = result["everylayer_decision"]
    assert decision["kind"] == "deferred"
    assert decision["reason"] == "baseline: nothing approved now (1 waiting, 1 rejected)"
    assert decision["baseline"]["waiting"][0]["approves_on"] == "2026-12-14"


def test_a_host_outside_its_window_is_not_scanned():
    args = {
        "wave": "pilot",
        "freeze": True,
        "window": "closed",
        "policy": {"windows": {"closed": {"days": []}}},
        "baseline": {"policy": POLICY},
    }
    result, calls = run(rollout_host_plan, args, module_result=SCAN)
    assert calls == [] and result["ansible_facts"]["rollout_outcome"] == "deferred"


def test_a_failed_scan_fails_the_plan_naming_the_host_and_the_module():
    args = {"wave": "pilot", "freeze": True, "baseline": {"policy": POLICY}}
    with pytest.raises(
        RolloutError, match=r"baseline: the scan of lab-apt-01 \(everylayer.patch.packages state=scanned\)"
    ):
        run(rollout_host_plan, args, module_result={"failed": True, "msg": "apt lock held"})


def hostnames(action, pattern, task_vars):
    return {"wave_pilot": ["a"], "wave_staged": ["b"], "wave_full": ["c"]}[pattern]


def start(args):
    action, _ = plugin(rollout_start)
    action._hosts = lambda pattern, task_vars: hostnames(action, pattern, task_vars)
    full = {key: spec.get("default") for key, spec in rollout_start.ARGUMENT_SPEC.items()}
    full.update(args)
    return action.act(full, {"groups": {}, "hostvars": {}})


WAVES = [{"name": "pilot"}, {"name": "staged"}, {"name": "full"}]
RECORD = {"approver": "cab-chair", "approved_at": "2026-12-01T09:00:00Z", "change_id": "CHG-9"}


def test_the_plan_fails_before_any_wave_when_a_wave_has_no_approval():
    with pytest.raises(WaveError, match="wave staged requires an approval record and has none"):
        start({"waves": WAVES, "change_id": "CHG-9"})
    with pytest.raises(WaveError, match="wave full: its approval rollout_approvals.full has no approved_at"):
        start(
            {
                "waves": WAVES,
                "change_id": "CHG-9",
                "approvals": {"staged": RECORD, "full": dict(RECORD, approved_at="")},
            }
        )


def test_the_plan_carries_each_wave_approval_for_the_evidence():
    result = start({"waves": WAVES, "change_id": "CHG-9", "approval": RECORD})
    plan = {w["name"]: w for w in result["waves"]}
    assert plan["pilot"]["approval"] is None
    assert plan["staged"]["approval"]["approver"] == "cab-chair" and plan["full"]["approval"]["change_id"] == "CHG-9"
    assert "wave staged: 1 host(s), approved by cab-chair at 2026-12-01T09:00:00Z" in result["msg"]
    # the documented switch: no approvals required
    result = start({"waves": WAVES, "change_id": "CHG-9", "require_approval": False})
    assert all(w["approval"] is None for w in result["waves"])


def test_the_plan_lists_exceptions_expiring_soon_and_stops_on_an_expired_one():
    exc = [
        {
            "id": "EXC-1",
            "packages": ["lab-db"],
            "reason": "r",
            "owner": "dba",
            "approver": "ciso",
            "expires": "2026-12-10",
        }
    ]
    base = {"waves": WAVES[:1], "baseline": {"policy": POLICY, "now": "2026-12-07"}, "exceptions": exc}
    result = start(base)
    assert result["expiring"] == [{"id": "EXC-1", "owner": "dba", "expires": "2026-12-10", "days_left": 3}]
    assert "exceptions expiring within 14 days: EXC-1 (dba) on 2026-12-10" in result["msg"]
    assert any("EXC-1" in w for w in result["warnings"])
    with pytest.raises(PlanError, match=r"exception EXC-1 expired on 2026-12-10 \(field exceptions\[0\].expires"):
        start(dict(base, baseline={"policy": POLICY, "now": "2026-12-11"}))


def test_an_approval_decision_needs_who_when_and_which_change():
    result, _ = run(rollout_decision, {"kind": "approval", "wave": "staged", "details": RECORD})
    assert result["everylayer_decision"] == {"kind": "approval", "wave": "staged", **RECORD}  # no host: the wave's
    with pytest.raises(DecisionError, match="kind=approval of wave staged needs details change_id"):
        run(rollout_decision, {"kind": "approval", "wave": "staged", "details": dict(RECORD, change_id="")})


WINDOWS_SEARCH = {  # what windows_updates.ps1 returns for operation search (the fields of ConvertTo-UpdateInfo)
    "changed": False,
    "reboot_required": False,
    "updates": [
        {"id": "id-kev", "revision": 200, "kb": ["KB5055519"], "title": "2025-04 Cumulative Update (KB5055519)",
         "categories": ["Security Updates", "Windows Server 2019"], "classification": "Security Updates",
         "msrc_severity": "Important", "release_date": "2026-12-07T00:00:00Z", "cves": ["CVE-2025-29824"]},
        {"id": "id-imp", "revision": 200, "kb": ["KB5002222"], "title": "2026-12 Security Update (KB5002222)",
         "categories": ["Security Updates"], "classification": "Security Updates", "msrc_severity": "Important",
         "release_date": "2026-12-04T00:00:00Z", "cves": []},
        {"id": "id-msrt", "revision": 200, "kb": ["KB890830"], "title": "Malicious Software Removal Tool (KB890830)",
         "categories": ["Update Rollups"], "classification": "Update Rollups", "msrc_severity": None,
         "release_date": "2026-11-01T00:00:00Z", "cves": []},
    ],
}  # fmt: skip
WINDOWS_POLICY = {
    "baselines": [
        POLICY["baselines"][0],
        {
            "name": "windows",
            "match": {"layer": ["windows"], "platform": ["windows"]},
            "approve_after_days": {"important": 7, "unknown": 30},
            "reject": ["KB890830"],
            "expedite": {"kev": True},
        },
    ]
}
WINDOWS_ASSET = {"name": "win01", "layers": ["windows"], "platform": {"distribution": "windows"}}


def test_a_windows_host_without_a_baseline_is_planned_without_a_scan():
    args = {"wave": "pilot", "freeze": True, "asset": WINDOWS_ASSET}
    result, calls = run(rollout_host_plan, args, module_result=WINDOWS_SEARCH)
    assert calls == [] and result["plan"]["manifest"] == {} and result["plan"]["layer"] == "windows"


def test_a_governed_windows_host_is_scanned_once_and_installs_exactly_the_approved_update_ids():
    args = {
        "wave": "pilot",
        "freeze": True,
        "asset": WINDOWS_ASSET,
        "baseline": {"policy": WINDOWS_POLICY, "kev": KEV, "now": "2026-12-07",
                     "windows_scan": {"category_names": ["*"], "server_selection": "windows_update"}},
    }  # fmt: skip
    result, calls = run(rollout_host_plan, args, {"inventory_hostname": "win01"}, module_result=WINDOWS_SEARCH)
    # one search through the windows_updates module (the same code path as windows_updates state=scanned)
    assert calls == [
        ("everylayer.patch.windows_updates", {"operation": "search", "server_selection": "windows_update"})
    ]
    assert result["plan"]["manifest"] == {"KB5055519": "id-kev"}  # {KB: update id}: the apply role's update_ids
    decision = result["everylayer_decision"]
    assert decision["kind"] == "baseline" and decision["host"] == "win01"
    assert decision["reason"] == "1 approved, 1 waiting, 1 rejected (1 expedited)"
    assert decision["baseline"]["baseline"] == "windows"
    assert decision["baseline"]["waiting"][0]["approves_on"] == "2026-12-11"
    assert decision["baseline"]["rejected"][0]["reason"] == "baseline windows: reject pattern 'KB890830'"


def test_a_failed_windows_scan_fails_the_plan_naming_the_host_and_the_peers_words():
    args = {"wave": "pilot", "freeze": True, "asset": WINDOWS_ASSET, "baseline": {"policy": WINDOWS_POLICY}}
    failed = {"failed": True, "msg": "search for updates: 0x8024402C WU_E_PT_WINHTTP_NAME_NOT_RESOLVED"}
    with pytest.raises(RolloutError) as err:
        run(rollout_host_plan, args, {"inventory_hostname": "win01"}, module_result=failed)
    text = str(err.value)
    assert "baseline: the scan of win01 (everylayer.patch.windows_updates state=scanned) failed" in text
    assert "0x8024402C" in text
