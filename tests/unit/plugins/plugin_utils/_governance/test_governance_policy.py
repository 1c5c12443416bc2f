# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Risk tiers and SLAs, baselines (delay, reject, approve, expedite) and exceptions (expired, unapproved, expiring)."""

from __future__ import annotations

import os
import textwrap

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.baseline import evaluate
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.common import GovernanceError
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.exceptions import load_exceptions
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.feeds import Intel
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.policy import load_policy
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.risk import rank

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "advisories")
INTEL = Intel(
    osv=[os.path.join(FIX, "osv", "github"), os.path.join(FIX, "osv", "debian")],
    kev=os.path.join(FIX, "kev", "known_exploited_vulnerabilities_slice.json"),
    epss=os.path.join(FIX, "epss", "epss_scores_slice.csv"),
)
NOW = "2026-12-07"
WEB = {"name": "web01", "criticality": "high", "exposure": "internet", "platform": {"name": "debian"}}
DB = {"name": "db01", "criticality": "medium", "exposure": "internal", "platform": {"name": "debian"}}


def pkg(component, advisories=(), severity=None, **extra):
    return {
        "component": component,
        "kind": "package",
        "before": "1",
        "after": "2",
        "advisories": list(advisories),
        "severity": severity,
        **extra,
    }


RECORD = {
    "layer": "os",
    "pending": [
        pkg("openssl", ["CVE-2014-0160"], "high"),  # KEV (real catalogue entry)
        pkg("jenkins", ["CVE-2024-23897"]),  # CVSS 9.8 from the GHSA record
        pkg("libfoo", ["CVE-2014-1776"], "low"),  # EPSS 0.82682
        pkg("tzdata", [], "medium"),
        pkg("vim", []),
    ],
}


def by_component(result):
    return {i["component"]: i for i in result["items"]}


def test_tiers_and_slas_follow_the_first_matching_rule():
    items = by_component(rank(RECORD, WEB, INTEL, load_policy(), now=NOW))
    assert (items["openssl"]["tier"], items["openssl"]["rule"], items["openssl"]["sla_days"]) == (
        "P1",
        "kev-internet",
        2,
    )
    assert items["openssl"]["deadline"] == "2026-12-09" and items["openssl"]["kev_due"] == "2022-05-25"
    assert (items["jenkins"]["tier"], items["jenkins"]["rule"], items["jenkins"]["cvss"]) == (
        "P1",
        "critical-internet",
        9.8,
    )
    assert (items["libfoo"]["tier"], items["libfoo"]["sla_days"], items["libfoo"]["epss"]) == ("P2", 14, 0.82682)
    assert (items["tzdata"]["tier"], items["vim"]["tier"]) == ("P3", "P4")


def test_the_same_updates_on_an_internal_asset_rank_lower():
    result = rank(RECORD, DB, INTEL, load_policy(), now=NOW)
    items = by_component(result)
    assert (items["openssl"]["rule"], items["openssl"]["sla_days"]) == ("kev", 7)
    assert (items["jenkins"]["tier"], items["jenkins"]["rule"]) == ("P2", "critical-or-high")
    assert result["priority"] == "P1" and result["groups"] == ["priority_p1"]
    assert [i["component"] for i in result["items"]][:2] == ["openssl", "libfoo"]


def test_criticality_raises_one_tier_and_takes_the_shorter_sla():
    crit = dict(DB, criticality="critical")
    items = by_component(rank(RECORD, crit, INTEL, load_policy(), now=NOW))
    assert (items["tzdata"]["tier"], items["tzdata"]["sla_days"]) == ("P2", 30)
    assert (items["vim"]["tier"], items["vim"]["sla_days"]) == ("P3", 60)


def test_sla_overdue_counts_from_first_seen():
    result = rank(RECORD, DB, INTEL, load_policy(), now=NOW, first_seen={"openssl": "2026-11-20", "vim": "2026-11-20"})
    items = by_component(result)
    assert items["openssl"]["deadline"] == "2026-11-27" and items["openssl"]["overdue"] is True
    assert items["vim"]["overdue"] is False  # P4: 90 days
    assert result["overdue"] == 1


def test_kev_due_date_when_the_policy_honours_it():
    items = by_component(rank(RECORD, DB, INTEL, load_policy(data={"kev_due_date": True}), now=NOW))
    assert items["openssl"]["deadline"] == "2022-05-25" and items["openssl"]["overdue"] is True


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


POLICY = """\
    baselines:
      - name: debian-os
        match: {layer: [os], platform: [debian]}
        approve_after_days: {critical: 0, high: 3, medium: 7, low: 14, unknown: 14}
        approve: ["tzdata"]
        reject: ["linux-image-*", "CVE-2099-*"]
        expedite: {kev: true}
    """


def test_baseline_delay_reject_approve_and_expedite(tmp_path):
    policy = load_policy(write(tmp_path, "policy.yml", POLICY))
    pending = {
        "layer": "os",
        "pending": [
            *RECORD["pending"],
            pkg("linux-image-amd64", [], "critical"),
            pkg("curl", ["CVE-2099-0001"], "critical"),
            pkg("bash", [], "high", published="2026-12-01"),
            pkg("zsh", [], "high", published="2026-12-06"),
        ],
    }
    result = evaluate(rank(pending, DB, INTEL, policy, now=NOW), policy, now=NOW)
    decided = {r["component"]: r for k in ("approved", "waiting", "rejected") for r in result[k]}
    assert decided["openssl"]["decision"] == "approved" and decided["openssl"]["expedited"] is True
    assert "KEV CVE-2014-0160" in decided["openssl"]["reason"]
    assert decided["tzdata"]["reason"] == "baseline debian-os: approve pattern 'tzdata'"
    assert decided["linux-image-amd64"]["decision"] == "rejected"
    assert decided["curl"]["reason"] == "baseline debian-os: reject pattern 'CVE-2099-*'"
    # delay: high waits 3 days from publication
    assert decided["bash"]["decision"] == "approved"
    assert decided["zsh"]["decision"] == "waiting" and decided["zsh"]["approves_on"] == "2026-12-09"
    assert "waits until 2026-12-09" in decided["zsh"]["reason"]
    # jenkins: critical, 0 days from its 2024 publication
    assert decided["jenkins"]["decision"] == "approved"
    # vim: unknown severity, first seen today: waits 14 days
    assert decided["vim"]["decision"] == "waiting" and decided["vim"]["approves_on"] == "2026-12-21"
    assert sorted(result["install"]) == ["bash", "jenkins", "openssl", "tzdata"]


def test_patterns_are_full_matches(tmp_path):
    policy = load_policy(write(tmp_path, "policy.yml", POLICY))
    pending = {"layer": "os", "pending": [pkg("tzdata-legacy", [], "low"), pkg("xlinux-image-amd64", [], "low")]}
    result = evaluate(rank(pending, DB, INTEL, policy, now=NOW), policy, now=NOW)
    assert [r["component"] for r in result["waiting"]] == ["tzdata-legacy", "xlinux-image-amd64"]


def test_no_baseline_for_the_platform_waits(tmp_path):
    policy = load_policy(write(tmp_path, "policy.yml", POLICY))
    rhel = dict(DB, platform={"name": "rhel"})
    result = evaluate(
        rank({"layer": "os", "pending": [pkg("openssl", ["CVE-2014-0160"])]}, rhel, INTEL, policy, now=NOW),
        policy,
        now=NOW,
    )
    assert result["approved"] == [] and "no baseline matches layer os platform rhel" in result["waiting"][0]["reason"]


EXCEPTIONS = """\
    exceptions:
      - id: EXC-1
        assets: ["db*"]
        packages: [jenkins]
        reason: the plugin set breaks on 2.426.3; vendor fix due in January
        owner: app-team
        approver: ciso
        expires: 2026-12-15
      - id: EXC-2
        advisories: [CVE-2014-1776]
        reason: not reachable
        owner: sec
        approver: ciso
        expires: 2027-06-30
    """


def test_exception_honoured_and_expiring_listed(tmp_path):
    policy = load_policy(write(tmp_path, "policy.yml", POLICY))
    exc = load_exceptions(write(tmp_path, "exceptions.yml", EXCEPTIONS))
    result = evaluate(rank(RECORD, DB, INTEL, policy, now=NOW), policy, exc, now=NOW)
    assert {r["component"]: r["exception"] for r in result["excepted"]} == {"jenkins": "EXC-1", "libfoo": "EXC-2"}
    assert result["expiring"] == [{"id": "EXC-1", "owner": "app-team", "expires": "2026-12-15", "days_left": 8}]
    # on another asset EXC-1 does not apply
    other = evaluate(rank(RECORD, WEB, INTEL, policy, now=NOW), policy, exc, now=NOW)
    assert [r["component"] for r in other["excepted"]] == ["libfoo"]


def test_expired_exception_is_an_error_naming_file_and_line(tmp_path):
    policy = load_policy(write(tmp_path, "policy.yml", POLICY))
    exc = load_exceptions(write(tmp_path, "exceptions.yml", EXCEPTIONS))
    with pytest.raises(GovernanceError, match=r"exceptions.yml line 8: exception EXC-1 expired on 2026-12-15"):
        evaluate(rank(RECORD, DB, INTEL, policy, now="2026-12-16"), policy, exc, now="2026-12-16")


def test_unapproved_exception_is_an_error(tmp_path):
    text = EXCEPTIONS.replace("        approver: ciso\n        expires: 2027", "        expires: 2027")
    with pytest.raises(GovernanceError, match=r"exceptions.yml line 9: exception EXC-2 has no approver"):
        load_exceptions(write(tmp_path, "exceptions.yml", text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tiers: {P1: 7, P5: 3}\n", r"policy.yml line 1: tiers: must map tiers"),
        ("rules:\n  - tier: P1\n    when: {kev: yes, cvss: 9}\n", r"line 3: rules\[0\].when.cvss: unknown condition"),
        ("rules:\n  - tier: P1\n    sla_days: -1\n", r"line 3: rules\[0\].sla_days: -1 is not a number of days"),
        (
            "baselines:\n  - name: x\n    approve_after_days: {high: soon}\n",
            r"line 3: baselines\[0\].approve_after_days.high: 'soon'",
        ),
        ("due_soon: 3\n", r"line 1: due_soon: unknown key"),
    ],
)
def test_bad_policy_names_field_and_line(tmp_path, text, message):
    with pytest.raises(GovernanceError, match=message):
        load_policy(write(tmp_path, "policy.yml", text))


def test_the_asset_maps_platform_distribution_selects_the_baseline(tmp_path):
    # the asset map gives platform.distribution (docs/assets.md), not platform.name: the same asset must match
    # its baseline in risk_rank, baseline_evaluate, compliance_summary and the rollout
    policy = load_policy(write(tmp_path, "policy.yml", POLICY))
    mapped = dict(DB, platform={"distribution": "debian", "version": "12", "package_manager": "apt"})
    ranked = rank({"layer": "os", "pending": [pkg("tzdata", [], "low")]}, mapped, INTEL, policy, now=NOW)
    assert ranked["items"][0]["platform"] == "debian"
    result = evaluate(ranked, policy, now=NOW)
    assert result["install"] == ["tzdata"]
    assert result["approved"][0]["reason"] == "baseline debian-os: approve pattern 'tzdata'"
