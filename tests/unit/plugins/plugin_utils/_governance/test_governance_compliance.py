# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compliance and metrics from a small evidence store recorded here (real SQLite store, real hash chain, times
pinned), checked against values computed by hand in the comments."""

from __future__ import annotations

import os

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import store as store_module
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.common import GovernanceError
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.compliance import compliance
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.exceptions import load_exceptions
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.feeds import Intel
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.policy import load_policy

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "advisories")
INTEL = Intel(kev=os.path.join(FIX, "kev", "known_exploited_vulnerabilities_slice.json"))
# P2 in 5 days and P4 in 10 make an overdue and a due-soon item inside a ten-day story
POLICY = load_policy(data={"tiers": {"P1": 7, "P2": 5, "P3": 60, "P4": 10}})
ASSETS = {
    "web01": {"criticality": "high", "exposure": "internet", "wave": "pilot"},
    "app01": {"criticality": "medium", "exposure": "internal", "wave": "pilot"},
    "db01": {"criticality": "medium", "exposure": "internal", "wave": "staged"},
    "web02": {"criticality": "medium", "exposure": "internal", "wave": "staged"},
    "old01": {"wave": "full"},
    "never01": {"layers": ["os"], "wave": "full"},  # in the asset map, never scanned
}
EXCEPTIONS = load_exceptions(
    data=[
        {
            "id": "EXC-9",
            "assets": ["db01"],
            "packages": ["tzdata"],
            "reason": "frozen",
            "owner": "dba",
            "approver": "cab",
            "expires": "2026-12-20",
        }
    ]
)


def p(component, severity, advisories=()):
    return {
        "component": component,
        "kind": "package",
        "before": "1",
        "after": "2",
        "severity": severity,
        "advisories": list(advisories),
    }


def scan(*pending):
    return {
        "task": "scan",
        "layer": "os",
        "scan": True,
        "simulated": False,
        "failed": False,
        "changes": [],
        "pending": list(pending),
    }


def patch(*components, failed=False):
    return {
        "task": "patch",
        "layer": "os",
        "simulated": False,
        "failed": failed,
        "changed": not failed,
        "changes": [p(c, None) for c in components] if not failed else [],
        "pending": [],
    }


STORY = [  # (recorded_at, run_id, kind, host, data)
    ("2026-11-01T00:00:00.000000Z", "scan-0", "change", "old01", scan(p("x", "low"))),
    (
        "2026-12-01T00:00:00.000000Z",
        "scan-1",
        "change",
        "web01",
        scan(p("openssl", "high", ["CVE-2014-0160"]), p("vim", "low")),
    ),
    ("2026-12-01T00:00:00.000000Z", "scan-1", "change", "db01", scan(p("tzdata", "medium"), p("bash", "high"))),
    ("2026-12-01T00:00:00.000000Z", "scan-1", "change", "app01", scan(p("curl", "critical", ["CVE-2021-4034"]))),
    ("2026-12-01T00:00:00.000000Z", "scan-1", "change", "web02", scan(p("nginx", "high"))),
    # a check-mode forecast changes nothing and fixes nothing
    ("2026-12-01T06:00:00.000000Z", "plan-1", "change", "db01", dict(patch("tzdata"), simulated=True)),
    ("2026-12-02T12:00:00.000000Z", "patch-1", "change", "web01", patch("openssl")),
    # app01: three failed tasks and then a clean rollback: one host rolled back, not three failures
    *[
        ("2026-12-02T12:00:00.000000Z", "patch-1", "failure", "app01", {"task": f"step {i}", "msg": "boom"})
        for i in range(3)
    ],
    ("2026-12-02T12:30:00.000000Z", "patch-1", "rollback", "app01", {"layer": "os", "changes": [p("curl", None)]}),
    ("2026-12-05T00:00:00.000000Z", "patch-2", "change", "db01", patch("bash")),
    ("2026-12-05T00:00:00.000000Z", "patch-2", "change", "web02", patch("nginx", failed=True)),
    ("2026-12-08T00:00:00.000000Z", "scan-2", "change", "web01", scan(p("vim", "low"))),
    ("2026-12-08T00:00:00.000000Z", "scan-2", "change", "db01", scan(p("tzdata", "medium"))),
    ("2026-12-08T00:00:00.000000Z", "scan-2", "change", "app01", scan(p("curl", "critical", ["CVE-2021-4034"]))),
    ("2026-12-09T00:00:00.000000Z", "patch-3", "change", "web02", patch("nginx")),
]


@pytest.fixture
def recorded_store(tmp_path, monkeypatch):
    stamps = iter([s[0] for s in STORY])
    monkeypatch.setattr(store_module, "utcnow", lambda: next(stamps))
    store = open_store(str(tmp_path / "evidence.sqlite"))
    for index, (_at, run_id, kind, host, data) in enumerate(STORY):
        store.append(run_id, index + 1, kind, host, data)
    monkeypatch.undo()
    store.verify()
    yield store
    store.close()


def test_compliance_states_and_rate(recorded_store):
    result = compliance(recorded_store.records(), POLICY, INTEL, ASSETS, EXCEPTIONS, now="2026-12-10")
    states = {r["host"]: r["state"] for r in result["assets"]}
    # web01: vim low -> P4 10 days from 12-01 -> due 12-11, 1 day left <= 7: due soon
    # db01: tzdata excepted (EXC-9); app01: curl is KEV (CVE-2021-4034), internal -> P1 7 days -> 12-08: overdue
    # web02: last scan 12-01 is 9 days old (> 7): unknown; old01: scanned 11-01: unknown; never01: never: unknown
    assert states == {
        "web01": "due_soon",
        "db01": "excepted",
        "app01": "overdue",
        "web02": "unknown",
        "old01": "unknown",
        "never01": "unknown",
    }
    summary = result["summary"]
    assert summary["counts"] == {"compliant": 0, "due_soon": 1, "overdue": 1, "excepted": 1, "unknown": 3}
    assert summary["compliance_rate"] == round(2 / 6, 4)  # due soon + excepted of six asset-layers
    assert summary["overdue_by_tier"] == {"P1": 1}
    assert summary["kev_exposure"] == 1 and summary["kev_open"] == ["app01:curl"]
    assert result["exceptions_expiring"] == [{"id": "EXC-9", "owner": "dba", "expires": "2026-12-20", "days_left": 10}]


def test_time_to_remediate_and_sla_attainment(recorded_store):
    rem = compliance(recorded_store.records(), POLICY, INTEL, ASSETS, EXCEPTIONS, now="2026-12-10")["remediation"]
    fixed = {i["component"]: (i["days"], i["tier"], i["sla_days"], i["within_sla"]) for i in rem["items"]}
    # openssl 12-01 00:00 -> 12-02 12:00 = 1.5 d, KEV on internet -> P1 in 2 d: met
    # bash 12-01 -> 12-05 = 4 d, high internal -> P2 in 5 d: met; nginx 12-01 -> 12-09 = 8 d, P2 in 5 d: missed
    assert fixed == {"openssl": (1.5, "P1", 2, True), "bash": (4.0, "P2", 5, True), "nginx": (8.0, "P2", 5, False)}
    # tzdata's check-mode forecast fixed nothing
    assert "tzdata" not in fixed
    # mean (1.5 + 4 + 8) / 3 = 4.5; p90 nearest rank: ceil(0.9 * 3) = 3rd of [1.5, 4, 8] = 8
    assert rem["per_severity"] == {"high": {"count": 3, "mean_days": 4.5, "p90_days": 8.0}}
    assert (rem["within_sla"], rem["missed_sla"], rem["sla_attainment"]) == (2, 1, round(2 / 3, 4))


def test_deployment_success_per_host_and_wave(recorded_store):
    dep = compliance(recorded_store.records(), POLICY, INTEL, ASSETS, EXCEPTIONS, now="2026-12-10")["deployments"]
    # pilot: web01 succeeded, app01 rolled back once (its three failed tasks are not three failures)
    assert dep["per_wave"]["pilot"] == {"succeeded": 1, "failed": 0, "rolled_back": 1, "hosts": 2, "success_rate": 0.5}
    # staged: db01 succeeded, web02 failed in patch-2 and succeeded in patch-3 (two runs, two outcomes)
    assert dep["per_wave"]["staged"] == {
        "succeeded": 2,
        "failed": 1,
        "rolled_back": 0,
        "hosts": 3,
        "success_rate": round(2 / 3, 4),
    }
    assert dep["per_host"]["app01"]["rolled_back"] == 1 and dep["per_host"]["app01"]["failed"] == 0
    assert dep["totals"] == {"succeeded": 3, "failed": 1, "rolled_back": 1} and dep["success_rate"] == 0.6


def test_a_scan_within_the_window_is_not_unknown(recorded_store):
    policy = load_policy(data={"tiers": {"P1": 7, "P2": 5, "P3": 60, "P4": 10}, "unknown_after_days": 10})
    states = {
        r["host"]: r["state"]
        for r in compliance(recorded_store.records(), policy, INTEL, ASSETS, EXCEPTIONS, now="2026-12-10")["assets"]
    }
    assert states["web02"] == "compliant"  # scanned 12-01, nginx patched 12-09: nothing pending


def test_trend_per_scan_day(recorded_store):
    trend = compliance(recorded_store.records(), POLICY, INTEL, ASSETS, EXCEPTIONS, now="2026-12-10")["trend"]
    # scans on 11-01, 12-01 and 12-08. As of 11-01 the asset-layers known are old01 (scanned: x, low, P4 in 10 days,
    # due 11-11: compliant) and never01 (declared in the asset map, never scanned: unknown) -> 1 of 2;
    # as of 12-01: web01 (openssl KEV on internet: P1 in 2 days, due soon), db01 (bash P2 in 5: due soon),
    # app01 (curl KEV internal: P1 in 7, due soon), web02 (nginx P2: due soon), old01 unknown (30 days), never01
    # unknown: 4 of 6; as of 12-08: web01 vim due 12-11 (due soon), db01 excepted, app01 curl due 12-08 (not yet
    # past), web02 scanned 12-01 (7 days: not unknown yet) with nginx due 12-06: overdue -> 3 of 6
    assert [(p["date"], p["compliance_rate"], p["overdue"]) for p in trend] == [
        ("2026-11-01", 0.5, 0),
        ("2026-12-01", round(4 / 6, 4), 0),
        ("2026-12-08", round(3 / 6, 4), 1),
    ]
    assert [p["kev_exposure"] for p in trend] == [0, 2, 1]


def test_expired_exception_is_an_error_in_compliance(recorded_store):
    with pytest.raises(GovernanceError, match="exception EXC-9 expired on 2026-12-20"):
        compliance(recorded_store.records(), POLICY, INTEL, ASSETS, EXCEPTIONS, now="2026-12-21")


def record(tmp_path, monkeypatch, story):
    stamps = iter([s[0] for s in story])
    monkeypatch.setattr(store_module, "utcnow", lambda: next(stamps))
    store = open_store(str(tmp_path / "story.sqlite"))
    for index, (_at, run_id, kind, host, data) in enumerate(story):
        store.append(run_id, index + 1, kind, host, data)
    monkeypatch.undo()
    return store


def test_p90_and_mean_per_severity_over_ten_fixes(tmp_path, monkeypatch):
    # ten low updates first seen 12-01 00:00 and fixed 1, 2, ... 10 days later: mean 5.5; p90 nearest rank is the
    # ceil(0.9 * 10) = 9th smallest = 9 days. Two high ones fixed after 2 and 4 days: mean 3, p90 ceil(1.8) = 2nd = 4.
    names = [f"pkg{i}" for i in range(1, 11)]
    story = [("2026-12-01T00:00:00.000000Z", "s", "change", "h1", scan(*(p(n, "low") for n in names)))]
    story.append(("2026-12-01T00:00:00.000000Z", "s", "change", "h2", scan(p("a", "high"), p("b", "high"))))
    story += [
        (f"2026-12-{1 + i:02d}T00:00:00.000000Z", f"p{i}", "change", "h1", patch(f"pkg{i}")) for i in range(1, 11)
    ]
    story += [
        ("2026-12-03T00:00:00.000000Z", "q1", "change", "h2", patch("a")),
        ("2026-12-05T00:00:00.000000Z", "q2", "change", "h2", patch("b")),
    ]
    with record(tmp_path, monkeypatch, story) as store:
        rem = compliance(store.records(), load_policy(), None, {}, None, now="2026-12-12")["remediation"]
    assert rem["per_severity"] == {
        "high": {"count": 2, "mean_days": 3.0, "p90_days": 4.0},
        "low": {"count": 10, "mean_days": 5.5, "p90_days": 9.0},
    }
    # default SLAs: high -> P2 30 days, low -> P4 90 days: all twelve within
    assert (rem["within_sla"], rem["missed_sla"], rem["sla_attainment"]) == (12, 0, 1.0)


def test_time_to_remediate_from_the_advisory_publication(tmp_path, monkeypatch):
    # openssl: published 11-21 00:00, first seen 12-01, fixed 12-02 12:00 -> 11.5 days since publication, 1.5 since
    # first seen. curl: published 11-30, never seen by a scan, fixed 12-03 00:00 -> 3 days since publication, no
    # first-seen time and no SLA verdict (it counts in neither per_severity nor sla_attainment)
    openssl = dict(p("openssl", "high"), published="2026-11-21T00:00:00Z")
    curl = dict(p("curl", "critical"), published="2026-11-30")
    story = [
        ("2026-12-01T00:00:00.000000Z", "s", "change", "h1", scan(openssl)),
        ("2026-12-02T12:00:00.000000Z", "p1", "change", "h1", dict(patch(), changes=[openssl])),
        ("2026-12-03T00:00:00.000000Z", "p2", "change", "h1", dict(patch(), changes=[curl])),
    ]
    with record(tmp_path, monkeypatch, story) as store:
        rem = compliance(store.records(), load_policy(), None, {}, None, now="2026-12-10")["remediation"]
    assert rem["per_severity"] == {"high": {"count": 1, "mean_days": 1.5, "p90_days": 1.5}}
    assert rem["from_published"] == {
        "critical": {"count": 1, "mean_days": 3.0, "p90_days": 3.0},
        "high": {"count": 1, "mean_days": 11.5, "p90_days": 11.5},
    }
    assert {i["component"]: (i["days"], i["within_sla"]) for i in rem["items"]} == {
        "openssl": (1.5, True),
        "curl": (None, None),
    }
    assert (rem["within_sla"], rem["missed_sla"]) == (1, 0)


def test_a_planned_rollback_is_no_deployment_and_rates_per_layer(tmp_path, monkeypatch):
    story = [
        ("2026-12-01T00:00:00.000000Z", "s", "change", "web01", scan(p("vim", "low"))),
        ("2026-12-02T00:00:00.000000Z", "plan", "rollback", "web01", dict(patch("vim"), simulated=True)),
        ("2026-12-02T00:00:00.000000Z", "plan", "change", "web01", dict(patch("vim"), simulated=True)),
    ]
    assets = {"web01": {"layers": ["os"]}, "sw01": {"layers": ["network"]}}
    with record(tmp_path, monkeypatch, story) as store:
        result = compliance(store.records(), load_policy(), None, assets, None, now="2026-12-03")
    # a check-mode run forecasts; it deploys nothing and rolls nothing back
    assert result["deployments"]["totals"] == {"succeeded": 0, "failed": 0, "rolled_back": 0}
    assert result["deployments"]["per_wave"] == {} and result["deployments"]["success_rate"] is None
    # per layer: web01's os layer compliant (vim low, P4 in 90 days), sw01's network layer never scanned: unknown,
    # which counts against -> os 1/1, network 0/1, overall 1/2
    per_layer = result["summary"]["per_layer"]
    assert {layer: (v["total"], v["compliance_rate"]) for layer, v in per_layer.items()} == {
        "network": (1, 0.0),
        "os": (1, 1.0),
    }
    assert per_layer["network"]["counts"]["unknown"] == 1 and result["summary"]["compliance_rate"] == 0.5


def test_the_rollout_decision_names_the_wave_over_the_asset_map(tmp_path, monkeypatch):
    # h1 is in the asset map's pilot wave, but the rollout planned it in its canary wave (a decision naming host and
    # wave); h2 has no decision: the asset map's wave counts
    story = [
        ("2026-12-01T00:00:00.000000Z", "s", "change", "h1", scan(p("vim", "low"))),
        (
            "2026-12-02T00:00:00.000000Z",
            "r",
            "decision",
            "h1",
            {"decision": {"kind": "baseline", "wave": "canary", "host": "h1"}},
        ),
        ("2026-12-02T00:00:00.000000Z", "r", "change", "h1", patch("vim")),
        ("2026-12-02T00:00:00.000000Z", "r", "change", "h2", patch("vim")),
    ]
    assets = {"h1": {"wave": "pilot"}, "h2": {"wave": "pilot"}}
    with record(tmp_path, monkeypatch, story) as store:
        dep = compliance(store.records(), load_policy(), None, assets, None, now="2026-12-03")["deployments"]
    assert {wave: counts["succeeded"] for wave, counts in dep["per_wave"].items()} == {"canary": 1, "pilot": 1}
