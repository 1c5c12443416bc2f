# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The governance baseline in a rollout: each policy rule as it acts on a host's patch selection."""

from __future__ import annotations

import os
import textwrap

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout import baseline as governance
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.plan import PlanError

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "advisories")
KEV = os.path.join(FIX, "kev", "known_exploited_vulnerabilities_slice.json")  # real CISA catalogue slice
NOW = "2026-12-07"
ASSET = {"name": "db01", "criticality": "medium", "exposure": "internal", "platform": {"distribution": "debian"}}
POLICY = {
    "baselines": [
        {
            "name": "debian-os",
            "match": {"layer": ["os"], "platform": ["debian"]},
            "approve_after_days": {"critical": 0, "high": 7, "medium": 14, "low": 30, "unknown": 30},
            "reject": ["kernel-*"],
            "expedite": {"kev": True},
        }
    ]
}


def pkg(component, after, advisories=(), severity=None):
    return {
        "component": component,
        "kind": "package",
        "before": "1.0-1",
        "after": after,
        "advisories": list(advisories),
        "severity": severity,
    }


SCAN = {
    "layer": "os",
    "changes": [],
    "pending": [
        pkg("openssl", "3.0.15-1", ["CVE-2014-0160"], "high"),  # in the KEV catalogue: expedited
        pkg("lab-web", "1.2-1", ["CVE-2026-21081"], "critical"),  # critical: no delay
        pkg("lab-agent", "1.2-1", ["CVE-2026-21037"], "high"),  # high: 7 days from first seen
        pkg("kernel-lab", "1.2-1", ["CVE-2026-22057"], "high"),  # rejected
        pkg("lab-db", "1.2-1", ["CVE-2026-21209"], "critical"),  # excepted on db*
    ],
}


def exceptions(expires="2026-12-15", approver="ciso"):
    entry = {
        "id": "EXC-7",
        "assets": ["db*"],
        "packages": ["lab-db"],
        "reason": "vendor certifies 1.2 in January",
        "owner": "dba-team",
        "expires": expires,
    }
    if approver:
        entry["approver"] = approver
    return [entry]


def gov(**extra):
    return governance.load(dict({"policy": POLICY, "kev": KEV, "now": NOW}, **extra), exceptions())


def by_name(items):
    return {i["component"]: i for i in items}


def test_no_baseline_configured_loads_nothing():
    assert governance.load({}, None) is None
    with pytest.raises(PlanError, match="rollout_exceptions is set but rollout_baseline is not"):
        governance.load({}, exceptions())


def test_freezing_wave_installs_the_approved_candidates_and_records_why_the_rest_waits():
    chosen = governance.select(gov(), SCAN, ASSET, "db01", True, {}, {"lab-agent": "2026-12-05"})
    # the approved set is the selection, at the versions the scan read
    assert chosen["manifest"] == {"openssl": "3.0.15-1", "lab-web": "1.2-1"}
    assert chosen["deferred"] is None
    decision = chosen["decision"]
    approved = by_name(decision["approved"])
    assert approved["openssl"]["expedited"] is True and "expedited (KEV CVE-2014-0160)" in approved["openssl"]["reason"]
    assert approved["openssl"]["version"] == "3.0.15-1"
    assert "expedited" not in approved["lab-web"]
    # delay: high waits 7 days from when it was first seen pending (the evidence's scans)
    waiting = by_name(decision["waiting"])
    assert waiting["lab-agent"]["approves_on"] == "2026-12-12"
    assert "high approved after 7 days (first seen pending 2026-12-05)" in waiting["lab-agent"]["reason"]
    # reject
    assert "reject pattern 'kernel-*'" in by_name(decision["rejected"])["kernel-lab"]["reason"]
    # exception
    excepted = by_name(decision["excepted"])["lab-db"]
    assert excepted["exception"] == "EXC-7" and "owner dba-team, approved by ciso" in excepted["reason"]
    assert decision["expiring"] == [{"id": "EXC-7", "owner": "dba-team", "expires": "2026-12-15", "days_left": 8}]
    assert decision["baseline"] == "debian-os"
    assert decision["summary"] == "2 approved, 1 waiting, 1 rejected, 1 excepted (1 expedited)"


def test_without_kev_data_the_same_update_waits_its_delay():
    chosen = governance.select(gov(kev=None), SCAN, ASSET, "db01", True, {}, {})
    assert "openssl" not in chosen["manifest"]
    assert by_name(chosen["decision"]["waiting"])["openssl"]["approves_on"] == "2026-12-14"  # first seen today + 7


def test_later_wave_installs_the_frozen_entries_the_baseline_approves():
    frozen = {"openssl": "3.0.15-1", "lab-db": "1.2-1", "lab-agent": "1.2-1"}
    chosen = governance.select(gov(), SCAN, ASSET, "db01", False, frozen, {})
    assert chosen["manifest"] == {"openssl": "3.0.15-1"}  # lab-db excepted, lab-agent waiting here
    assert chosen["decision"]["not_frozen"] == ["lab-web"]  # approved, but no freezing wave tested it


def test_nothing_approved_defers_the_host_with_the_reason():
    scan = {"layer": "os", "pending": [SCAN["pending"][2], SCAN["pending"][3]]}
    chosen = governance.select(gov(), scan, ASSET, "db01", True, {}, {})
    assert chosen["manifest"] == {}
    assert chosen["deferred"] == "baseline: nothing approved now (1 waiting, 1 rejected)"


def test_an_asset_no_baseline_matches_installs_nothing():
    rhel = dict(ASSET, platform={"distribution": "rhel"})
    chosen = governance.select(gov(), SCAN, rhel, "db01", True, {}, {})
    assert chosen["manifest"] == {} and chosen["decision"]["baseline"] is None
    assert "no baseline matches" in chosen["decision"]["waiting"][0]["reason"]


def test_expired_exception_is_an_error_naming_exception_file_and_field(tmp_path):
    path = tmp_path / "exceptions.yml"
    path.write_text(
        textwrap.dedent(
            """\
            exceptions:
              - id: EXC-7
                assets: ["db*"]
                packages: [lab-db]
                reason: vendor certifies 1.2 in January
                owner: dba-team
                approver: ciso
                expires: 2026-12-01
            """
        )
    )
    with pytest.raises(PlanError) as err:
        governance.load({"policy": POLICY, "now": NOW}, str(path))
    text = str(err.value)
    assert "exception EXC-7 expired on 2026-12-01" in text
    assert f"{path} line 8" in text and "field exceptions[0].expires" in text


def test_unapproved_exception_is_an_error_naming_the_field():
    with pytest.raises(PlanError, match=r"exception EXC-7 has no approver \(field exceptions\[0\].approver\)"):
        governance.load({"policy": POLICY, "now": NOW}, exceptions(approver=None))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"kev": KEV}, "rollout_baseline.policy: required"),
        ({"policy": POLICY, "polcy": 1}, r"rollout_baseline: unknown key\(s\) polcy"),
        ({"policy": {"baselines": []}}, "has no baselines"),
        ({"policy": POLICY, "scan": {"state": "patched"}}, "rollout_baseline.scan"),
        ({"policy": POLICY, "first_seen": "yes"}, "rollout_baseline.first_seen: expected true or false"),
    ],
)
def test_bad_settings_are_named(settings, message):
    with pytest.raises(PlanError, match=message):
        governance.load(settings, None)


def test_an_expedited_only_rollout_installs_what_the_expedite_rule_approved():
    chosen = governance.select(gov(expedited_only=True), SCAN, ASSET, "db01", True, {}, {})
    assert chosen["manifest"] == {"openssl": "3.0.15-1"}  # lab-web (critical, no delay) waits for the normal cadence
    held = by_name(chosen["decision"]["waiting"])["lab-web"]
    assert held["reason"].endswith("not expedited: this rollout installs expedited updates only")


def test_a_host_with_nothing_pending_is_deferred_never_patched_from_an_empty_selection():
    # an empty manifest in a freezing wave would mean "the newest of everything": the host waits instead
    chosen = governance.select(gov(), {"layer": "os", "pending": []}, ASSET, "db01", True, {}, {})
    assert chosen["manifest"] == {} and chosen["deferred"] == "baseline: nothing pending on the host"
