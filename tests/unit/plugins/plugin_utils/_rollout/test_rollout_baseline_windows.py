# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The governance baseline on a Windows host in a rollout: each rule (delay per MSRC severity, delay per
classification, KB reject and approve patterns, the KEV expedite, exceptions) as it acts on the update ids the host
installs. The scan is the windows_updates change record built by the module's own code (record.update_change) from
updates as the Windows Update Agent reports them (the fields of windows_updates.ps1 and lab/winsim)."""

from __future__ import annotations

import os

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout import baseline as governance
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.plan import PlanError
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows import record

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "advisories")
KEV = os.path.join(FIX, "kev", "known_exploited_vulnerabilities_slice.json")  # real CISA catalogue slice
NOW = "2026-12-07"
ASSET = {"name": "win01", "layers": ["windows"], "platform": {"distribution": "windows", "version": "2019"}}
POLICY = {
    "baselines": [
        {"name": "linux", "match": {"layer": ["os"]}, "approve_after_days": {"unknown": 0}},
        {
            "name": "windows-servers",
            "match": {"layer": ["windows"], "platform": ["windows"]},
            # a classification first, else the MSRC severity word, else the normalised severity
            "approve_after_days": {
                "Definition Updates": 0,
                "critical": 3,
                "important": 7,
                "moderate": 14,
                "unknown": 30,
            },
            "approve": ["KB5001111"],
            "reject": ["KB890830"],
            "expedite": {"kev": True},
        },
    ]
}


def update(kb, uid, classification, severity=None, released="2026-12-01T00:00:00Z", cves=(), product=True):
    categories = [classification, "Windows Server 2019"] if product else [classification]
    return {
        "id": uid,
        "revision": 200,
        "kb": [kb],
        "title": f"2026-12 {classification[:-1]} for Windows Server 2019 ({kb})",
        "categories": categories,
        "classification": classification,
        "msrc_severity": severity,
        "release_date": released,
        "reboot_behavior": "never",
        "uninstallable": True,
        "cves": list(cves),
    }


UPDATES = [
    # CLFS elevation of privilege, in the KEV catalogue: expedited though released today
    update("KB5055519", "id-kev", "Security Updates", "Important", "2026-12-07T00:00:00Z", ["CVE-2025-29824"]),
    update("KB5002222", "id-imp", "Security Updates", "Important", "2026-12-04T00:00:00Z", ["CVE-2026-1111"]),
    update("KB5003333", "id-crit", "Security Updates", "Critical", "2026-12-03T17:00:00Z", ["CVE-2026-2222"]),
    update("KB2267602", "id-def", "Definition Updates", None, "2026-12-07T00:00:00Z", product=False),
    update("KB890830", "id-msrt", "Update Rollups", None, "2026-11-01T00:00:00Z", product=False),
    update("KB5001111", "id-appr", "Updates", "Moderate", "2026-12-06T00:00:00Z"),
    update("KB5004444", "id-mod", "Security Updates", "Moderate", "2026-12-01T00:00:00Z", ["CVE-2026-3333"]),
]
SCAN = record.build([], [record.update_change(u) for u in UPDATES], False, record.rollback_block([]), simulated=False)


def gov(**extra):
    return governance.load(dict({"policy": POLICY, "kev": KEV, "now": NOW}, **extra), None)


def by_kb(items):
    return {i["component"]: i for i in items}


def test_the_scan_carries_what_the_baseline_decides_on():
    entry = by_kb(SCAN["pending"])["KB5002222"]
    assert entry["advisories"] == ["KB5002222", "CVE-2026-1111"]
    assert entry["details"]["classification"] == "Security Updates"
    assert entry["details"]["msrc_severity"] == "Important" and entry["severity"] == "high"
    assert entry["details"]["release_date"] == "2026-12-04T00:00:00Z"


def test_freezing_wave_installs_exactly_the_approved_update_ids():
    chosen = governance.select(gov(), SCAN, ASSET, "win01", True, {}, {}, layer="windows")
    # the manifest of a Windows host: {KB: update id}, what windows_updates installs as update_ids
    assert chosen["manifest"] == {"KB5055519": "id-kev", "KB5003333": "id-crit", "KB2267602": "id-def",
                                  "KB5001111": "id-appr"}  # fmt: skip
    decision = chosen["decision"]
    assert decision["baseline"] == "windows-servers" and chosen["deferred"] is None
    approved = by_kb(decision["approved"])
    # expedite: a CVE of the update is in the KEV catalogue, no delay
    assert approved["KB5055519"]["expedited"] is True
    assert "expedited (KEV CVE-2025-29824), no delay" in approved["KB5055519"]["reason"]
    assert approved["KB5055519"]["version"] == "id-kev"
    # delay per MSRC severity, counted from the update's release date
    assert approved["KB5003333"]["reason"] == (
        "baseline windows-servers: critical approved after 3 days (published 2026-12-03)"
    )
    waiting = by_kb(decision["waiting"])
    assert waiting["KB5002222"]["approves_on"] == "2026-12-11"
    assert (
        "important approved after 7 days (published 2026-12-04), waits until 2026-12-11"
        in (waiting["KB5002222"]["reason"])
    )
    assert waiting["KB5004444"]["approves_on"] == "2026-12-15"  # moderate: 14 days
    # delay per classification: definition updates at once, whatever their (absent) severity
    assert "Definition Updates approved after 0 days" in approved["KB2267602"]["reason"]
    # KB patterns: reject and approve
    assert by_kb(decision["rejected"])["KB890830"]["reason"] == "baseline windows-servers: reject pattern 'KB890830'"
    assert approved["KB5001111"]["reason"] == "baseline windows-servers: approve pattern 'KB5001111'"
    assert decision["summary"] == "4 approved, 2 waiting, 1 rejected (1 expedited)"


def test_a_later_wave_installs_the_frozen_ids_its_baseline_approves():
    frozen = {"KB5055519": "id-kev", "KB5002222": "id-imp", "KB890830": "id-msrt"}
    chosen = governance.select(gov(), SCAN, ASSET, "win02", False, frozen, {}, layer="windows")
    assert chosen["manifest"] == {"KB5055519": "id-kev"}  # KB5002222 waits here, KB890830 rejected
    assert chosen["decision"]["not_frozen"] == ["KB2267602", "KB5001111", "KB5003333"]


def test_first_seen_is_not_used_when_the_update_has_a_release_date():
    # windows updates always carry a release date: the delay counts from it, not from the first scan
    chosen = governance.select(gov(), SCAN, ASSET, "win01", True, {}, {"KB5002222": "2026-11-01"}, layer="windows")
    assert by_kb(chosen["decision"]["waiting"])["KB5002222"]["approves_on"] == "2026-12-11"


def test_an_exception_keeps_a_kb_off_one_host():
    exc = [
        {"id": "EXC-W1", "assets": ["win01"], "packages": ["KB5003333"], "reason": "line-of-business app breaks",
         "owner": "app-team", "approver": "ciso", "expires": "2026-12-31"},
    ]  # fmt: skip
    loaded = governance.load({"policy": POLICY, "kev": KEV, "now": NOW}, exc)
    chosen = governance.select(loaded, SCAN, ASSET, "win01", True, {}, {}, layer="windows")
    assert "KB5003333" not in chosen["manifest"]
    assert by_kb(chosen["decision"]["excepted"])["KB5003333"]["exception"] == "EXC-W1"


def test_a_windows_host_only_an_os_baseline_would_match_installs_nothing():
    policy = {"baselines": [POLICY["baselines"][0]]}
    chosen = governance.select(gov(policy=policy), SCAN, ASSET, "win01", True, {}, {}, layer="windows")
    assert chosen["manifest"] == {} and chosen["decision"]["baseline"] is None
    assert chosen["deferred"].startswith("baseline: nothing approved now (7 waiting")
    assert "no baseline matches layer windows platform windows" in chosen["decision"]["waiting"][0]["reason"]


def test_an_expedited_only_rollout_installs_only_the_kev_update():
    chosen = governance.select(gov(expedited_only=True), SCAN, ASSET, "win01", True, {}, {}, layer="windows")
    assert chosen["manifest"] == {"KB5055519": "id-kev"}


@pytest.mark.parametrize(
    ("windows_scan", "message"),
    [
        ({"state": "patched"}, r"rollout_baseline.windows_scan: a mapping of the everylayer.patch.windows_updates"),
        ({"category_names": "Security Updates"}, r"rollout_baseline.windows_scan.category_names: expected a list"),
        ({"security_only": "yes"}, r"rollout_baseline.windows_scan.security_only: expected true or false"),
    ],
)
def test_bad_windows_scan_settings_are_named(windows_scan, message):
    with pytest.raises(PlanError, match=message):
        governance.load({"policy": POLICY, "windows_scan": windows_scan}, None)
