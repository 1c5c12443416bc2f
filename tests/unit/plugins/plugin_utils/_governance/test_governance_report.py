# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report v2: a check-mode forecast is marked planned in JSON, CSV and HTML alike (an auditor must not read a
plan as a fact), and a compliance overview comes first in the HTML when the report carries one."""

from __future__ import annotations

import csv
import io
import json
import re

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import html, report
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
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
