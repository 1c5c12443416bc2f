# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scan report's risk view (risk.fleet and the risk_report filter): every pending update of every host with its
advisories, highest CVSS, KEV and due date, EPSS, the asset's criticality and exposure, tier and SLA deadline, from
the recorded slices of real feeds (tests/fixtures/advisories/SOURCES.md); values computed by hand in comments."""

from __future__ import annotations

import os

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.everylayer.patch.plugins.filter.governance import risk_report
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import store as store_module
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.common import GovernanceError
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.feeds import Intel
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.policy import load_policy
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.risk import fleet

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "advisories")
KEV = os.path.join(FIX, "kev", "known_exploited_vulnerabilities_slice.json")
EPSS = os.path.join(FIX, "epss", "epss_scores_slice.csv")
GHSA = os.path.join(FIX, "osv", "github", "GHSA-6f9g-cxwr-q5jr.json")
ASSETS = {
    "web01": {"criticality": "high", "exposure": "internet"},
    "db01": {"criticality": "critical", "exposure": "internal"},
}


def entry(component, severity, *advisories):
    return {"component": component, "before": "1", "after": "2", "severity": severity, "advisories": list(advisories)}


def scans():
    return {
        "web01": {
            "layer": "os",
            "manager": "apt",
            "reboot_required": False,
            "changes": [],
            "pending": [
                entry("vim", "low"),
                entry("jenkins", None, "CVE-2024-23897"),
                entry("openssl", "high", "CVE-2014-0160"),
            ],
        },
        "db01": {"layer": "os", "manager": "dnf", "changes": [], "pending": [entry("bash", "high", "CVE-2014-1776")]},
    }


def test_every_pending_update_carries_its_risk_and_the_hosts_their_priority():
    intel = Intel(osv=[GHSA], kev=KEV, epss=EPSS)
    out = fleet(
        scans(), ASSETS, intel, load_policy(), now="2026-12-07", first_seen={"web01": {"openssl": "2026-12-01"}}
    )
    web = out["hosts"]["web01"]
    risk = {e["component"]: e["risk"] for e in web["pending"]}
    # openssl: CVE-2014-0160 is in KEV (due 2022-05-25), web01 internet-facing -> kev-internet, P1 in 2 days from its
    # first scan 12-01 -> 12-03, overdue on 12-07
    assert {k: risk["openssl"][k] for k in ("kev", "kev_due", "tier", "rule", "sla_days", "deadline", "overdue")} == {
        "kev": True,
        "kev_due": "2022-05-25",
        "tier": "P1",
        "rule": "kev-internet",
        "sla_days": 2,
        "deadline": "2026-12-03",
        "overdue": True,
    }
    # jenkins: the alias finds GHSA-6f9g-cxwr-q5jr, CVSS 3.1 9.8 on an internet asset -> critical-internet, P1 7 days
    # from today (no earlier scan) -> 12-14
    assert (risk["jenkins"]["cvss"], risk["jenkins"]["severity"], risk["jenkins"]["tier"]) == (9.8, "critical", "P1")
    assert (risk["jenkins"]["rule"], risk["jenkins"]["deadline"], risk["jenkins"]["kev"]) == (
        "critical-internet",
        "2026-12-14",
        False,
    )
    assert (risk["vim"]["tier"], risk["vim"]["deadline"]) == ("P4", "2027-03-07")  # default 90 days
    # most urgent first; the scan's own keys kept; the asset's criticality and exposure carried
    assert [e["component"] for e in web["pending"]] == ["openssl", "jenkins", "vim"]
    assert (web["manager"], web["priority"], web["criticality"], web["exposure"]) == ("apt", "P1", "high", "internet")
    assert web["kev"] == ["CVE-2014-0160"] and web["overdue"] == 1
    # db01: bash CVE-2014-1776 EPSS 0.82682 >= 0.5 -> likely-exploited P2 in 14 days; a critical asset goes one tier
    # up: P1, SLA min(14, 7) = 7 -> 12-14
    bash = out["hosts"]["db01"]["pending"][0]["risk"]
    assert (bash["epss"], bash["epss_percentile"], bash["rule"]) == (0.82682, 0.99658, "likely-exploited")
    assert (bash["tier"], bash["sla_days"], bash["deadline"]) == ("P1", 7, "2026-12-14")
    assert out["groups"] == {"priority_p1": ["db01", "web01"], "priority_p2": [], "priority_p3": [], "priority_p4": []}
    assert out["counts"] == {"P1": 3, "P2": 0, "P3": 0, "P4": 1}
    assert (out["kev_exposure"], out["overdue"], out["as_of"]) == (1, 1, "2026-12-07")


def test_no_scan_result_is_an_error_not_an_empty_report():
    with pytest.raises(GovernanceError, match="no scan result to rank"):
        fleet({}, {}, None, load_policy())
    with pytest.raises(GovernanceError, match="host web01: not a scan's change record"):
        fleet({"web01": {"failed": True, "msg": "apt is locked"}}, {}, None, load_policy())
    with pytest.raises(AnsibleFilterError, match="risk_report: no scan result to rank"):
        risk_report({})


def test_the_filter_starts_each_clock_at_the_first_scan_in_the_evidence(tmp_path, monkeypatch):
    store = str(tmp_path / "ev.sqlite")
    stamps = iter(["2026-12-01T08:00:00.000000Z", "2026-12-04T08:00:00.000000Z"])
    monkeypatch.setattr(store_module, "utcnow", lambda: next(stamps))
    with open_store(store) as db:
        for seq, pending in enumerate(([entry("openssl", "high", "CVE-2014-0160")], scans()["web01"]["pending"])):
            db.append(
                f"scan-{seq}", 1, "change", "web01", {"layer": "os", "scan": True, "changes": [], "pending": pending}
            )
    monkeypatch.undo()
    out = risk_report(scans(), ASSETS, kev=KEV, now="2026-12-07", first_seen="evidence", store=store)
    first = {e["component"]: e["risk"]["first_seen"] for e in out["hosts"]["web01"]["pending"]}
    # openssl was first listed on 12-01, vim and jenkins on 12-04; db01 has no scan in the store: today
    assert first == {"openssl": "2026-12-01", "jenkins": "2026-12-04", "vim": "2026-12-04"}
    assert out["hosts"]["db01"]["pending"][0]["risk"]["first_seen"] == "2026-12-07"
    assert out["first_seen"] == "evidence" and out["feeds"]["kev_entries"] > 0 and out["policy"] == "default"
    # outside a run the evidence callback records, auto starts the clocks today and says so
    monkeypatch.delenv("EVERYLAYER_EVIDENCE_ACTIVE", raising=False)
    auto = risk_report(scans(), ASSETS, kev=KEV, now="2026-12-07", store=store)
    assert auto["first_seen"] == "today"
    assert {e["risk"]["first_seen"] for e in auto["hosts"]["web01"]["pending"]} == {"2026-12-07"}
    with pytest.raises(AnsibleFilterError, match="risk_report: first_seen from the evidence store: .*does not exist"):
        risk_report(scans(), first_seen="evidence", store=str(tmp_path / "none.sqlite"))
