# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report v2: a check-mode forecast is marked planned in JSON, CSV and HTML alike (an auditor must not read a
plan as a fact), and a compliance overview comes first in the HTML when the report carries one."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from functools import partial

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import html, report, report_compliance
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import write_report
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.common import GovernanceError
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.compliance import compliance
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.policy import load_policy


def pkg(component, before, after):
    return {"component": component, "kind": "package", "before": before, "after": after, "severity": "high"}


def records(tmp_path):
    path = str(tmp_path / "ev.sqlite")
    with open_store(path) as db:
        db.append(
            "r1", 1, "change", "web1", {"layer": "os", "scan": True, "changes": [], "pending": [pkg("vim", "1", "2")]}
        )
        db.append("r1", 2, "change", "web1", {"layer": "os", "changes": [pkg("openssl", "3.0.1", "3.0.2")]})
        db.append(
            "r2", 1, "change", "web2", {"layer": "os", "simulated": True, "changes": [pkg("openssl", "3.0.1", "3.0.2")]}
        )
        db.append("r2", 2, "change", "web3", {"layer": "os", "failed": True, "changes": [pkg("curl", "7", "8")]})
        return list(db.records())


def test_planned_changes_are_marked_in_every_format(tmp_path):
    data = report.build(records(tmp_path))
    status = {(r["host"], r["component"]): r["status"] for r in data["changes"]}
    assert status == {("web1", "openssl"): "applied", ("web2", "openssl"): "planned", ("web3", "curl"): "failed"}
    assert json.loads(report.to_json(data))["changes"][1]["status"] == "planned"
    rows = list(csv.DictReader(io.StringIO(report.to_csv(data))))
    assert {(r["host"], r["status"]) for r in rows} == {("web1", "applied"), ("web2", "planned"), ("web3", "failed")}
    page = html.render(data)
    web2 = re.search(r"<h4>web2</h4><table>.*?</table>", page).group(0)
    assert "<td>planned</td>" in web2 and "<td>applied</td>" not in web2
    assert re.search(r'id="tile-planned"><b>1</b>', page)


def test_compliance_overview_comes_first(tmp_path):
    recs = records(tmp_path)
    overview = compliance(recs, load_policy(), now=recs[0].recorded_at[:10])
    data = report.build(recs, compliance=overview)
    assert data["compliance"]["summary"]["counts"]["compliant"] == 1
    page = html.render(data)
    assert page.index('id="compliance"') < page.index('id="tile-changes"')
    assert re.search(r'id="compliance-rate"><b>100.0%</b>', page)
    assert "<td>web1</td><td>os</td>" in page
    assert '<svg id="chart-trend"' in page and "100%</text>" in page
    # per wave, one outcome per host: web1 applied, web3 failed (web2's plan is no deployment)
    assert re.search(
        r'id="compliance-waves">.*<td>unknown</td><td>2</td><td>1</td><td>1</td><td>0</td><td>0.5</td>', page
    )


def story(path):
    """A scan, an applied patch, a check-mode plan and a check-mode rollback, a gate and an approval, in runs with a
    change ticket and an AWX job id."""
    with open_store(path) as db:
        db.append("scan", 1, "run_start", None, {"user": "ops", "check_mode": False})
        db.append(
            "scan",
            2,
            "change",
            "web1",
            {
                "layer": "os",
                "scan": True,
                "changes": [],
                "pending": [pkg("openssl", "3.0.1", "3.0.2"), pkg("vim", "1", "2")],
            },
        )
        db.append(
            "scan",
            3,
            "change",
            "web2",
            {"layer": "os", "scan": True, "changes": [], "pending": [pkg("openssl", "3.0.1", "3.0.2")]},
        )
        db.append(
            "roll", 1, "run_start", None, {"change_ticket": "CHG-9", "awx": {"awx_job_id": 412}, "check_mode": False}
        )
        db.append("roll", 2, "decision", None, {"decision": {"kind": "gate", "wave": "pilot", "passed": True}})
        db.append(
            "roll",
            3,
            "decision",
            None,
            {"decision": {"kind": "approval", "wave": "staged", "approver": "alice", "change_id": "CHG-9"}},
        )
        db.append("roll", 4, "change", "web1", {"layer": "os", "changes": [pkg("openssl", "3.0.1", "3.0.2")]})
        db.append("plan", 1, "run_start", None, {"approver": "bob", "check_mode": True})
        db.append(
            "plan",
            2,
            "change",
            "web2",
            {"layer": "os", "simulated": True, "changes": [pkg("openssl", "3.0.1", "3.0.2")]},
        )
        db.append(
            "plan",
            3,
            "rollback",
            "web2",
            {"layer": "os", "simulated": True, "changes": [pkg("openssl", "3.0.2", "3.0.1")]},
        )


def test_formats_agree_on_status_runs_approvals_and_compliance(tmp_path):
    store = str(tmp_path / "ev.sqlite")
    story(store)
    args = {
        "as_of": datetime.now(UTC).date().isoformat(),
        "assets": {"web1": {"wave": "pilot"}, "web2": {"wave": "staged"}},
    }
    assert report_compliance.wanted(args) and not report_compliance.wanted({"compliance": False, **args})
    out = write_report(
        str(tmp_path / "out"),
        ["html", "json", "csv"],
        store=store,
        overview=partial(report_compliance.overview, args=args),
    )
    data = json.loads(open(out["paths"]["json"]).read())
    page = open(out["paths"]["html"]).read()
    rows = list(csv.DictReader(open(out["paths"]["csv"])))
    # planned in every format: the check-mode change and the check-mode rollback
    assert sorted((r["host"], r["kind"], r["status"]) for r in data["changes"]) == [
        ("web1", "change", "applied"),
        ("web2", "change", "planned"),
        ("web2", "rollback", "planned"),
    ]
    assert sorted((r["host"], r["kind"], r["status"]) for r in rows) == sorted(
        (r["host"], r["kind"], r["status"]) for r in data["changes"]
    )
    web2 = re.search(r"<h4>web2</h4><table>.*?</table>", page).group(0)
    assert web2.count("<td>planned</td>") == 2 and "<td>applied</td>" not in web2
    assert data["totals"]["rollbacks"] == 0  # a planned rollback is no rollback
    assert re.search(r'id="rollbacks">.*?<td>planned</td>', page)
    # each change row carries its run's change ticket, approver (the approval record's when the run has none) and AWX job
    meta = {(r["host"], r["status"]): (r["change_ticket"], r["approver"], r["awx_job_id"]) for r in rows}
    assert meta[("web1", "applied")] == ("CHG-9", "alice", "412")
    assert meta[("web2", "planned")] == ("", "bob", "")
    assert [(r["run_id"], r["awx_job_id"]) for r in data["runs"]] == [("scan", None), ("roll", "412"), ("plan", None)]
    assert re.search(r'id="runs">.*<td>roll</td>.*?<td>CHG-9</td><td>-</td><td>412</td>', page)
    # per wave: outcome, gate and approval
    assert data["waves"]["pilot"]["gates"][0]["passed"] is True
    assert data["waves"]["staged"]["approvals"][0]["approver"] == "alice"
    assert re.search(r'id="waves">.*<td>pilot</td><td>1</td><td>0</td><td>0</td><td>passed</td>', page)
    assert "<td>staged</td><td>-</td><td>-</td><td>-</td><td>-</td><td>alice (CHG-9)</td>" in page
    # the compliance overview: the same states and rate in JSON, the compliance CSV and the HTML
    states = {(a["host"], a["layer"]): a["state"] for a in data["compliance"]["assets"]}
    assert states == {("web1", "os"): "compliant", ("web2", "os"): "compliant"}
    crows = list(csv.DictReader(open(out["paths"]["compliance_csv"])))
    assert {(r["host"], r["layer"]): r["state"] for r in crows} == states
    # web1: vim still pending (openssl fixed by the roll run); web2: openssl pending (the plan fixed nothing)
    assert sorted((r["host"], r["component"], r["status"]) for r in crows) == [
        ("web1", "vim", "compliant"),
        ("web2", "openssl", "compliant"),
    ]
    table = re.search(r'<table id="compliance-assets">.*?</table>', page).group(0)
    html_states = set(re.findall(r"<tr><td>(web\d)</td><td>(os)</td><td>(\w+)</td>", table))
    assert html_states == {(h, layer, s) for (h, layer), s in states.items()}
    rate = data["compliance"]["summary"]["compliance_rate"]
    assert rate == 1.0 and re.search(r'id="compliance-rate"><b>100.0%</b>', page)
    assert out["compliance"]["compliance_rate"] == rate and out["compliance"]["sources"]["records"] == 10


def test_an_overview_without_any_scan_is_an_error(tmp_path):
    store = str(tmp_path / "ev.sqlite")
    with open_store(store) as db:
        db.append("roll", 1, "change", "web1", {"layer": "os", "changes": [pkg("openssl", "3.0.1", "3.0.2")]})
    with pytest.raises(GovernanceError, match="no scan is recorded in the evidence up to"):
        write_report(
            str(tmp_path / "out"), ["html"], store=store, overview=partial(report_compliance.overview, args={})
        )


def test_the_html_lists_the_most_urgent_pending_updates_and_counts_the_rest():
    items = [
        {
            "component": f"pkg{i:02d}",
            "layer": "os",
            "tier": "P1" if i == 24 else "P3",
            "deadline": f"2027-01-{i + 1:02d}",
        }
        for i in range(25)
    ]
    page = html._urgent({"assets": [{"host": "h1", "items": items}]})
    table = re.search(r'<table id="compliance-items">.*?</table>', page).group(0)
    assert table.count("<tr><td>") == html.URGENT_ROWS == 20
    assert table.index("pkg24") < table.index("pkg00")  # P1 first, then by deadline
    assert "pkg19" not in table and "5 more in the JSON and the compliance CSV" in page
