"""The report: totals, time to patch, CSV and a self-contained HTML page."""

import csv
import io
import json
import re

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import html, report
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import verify_store, write_report
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store


def change(component, before, after, layer="os"):
    return {
        "component": component,
        "kind": "package",
        "before": before,
        "after": after,
        "advisories": ["CVE-2026-0001"],
        "severity": "high",
    }


def populate(path):
    with open_store(path) as db:
        db.append("r1", 1, "run_start", None, {"user": "alice", "change_ticket": "CHG-7", "git": {"commit": "abc"}})
        db.append(
            "r1",
            2,
            "change",
            "web1",
            {"layer": "os", "changes": [], "pending": [change("openssl", "3.0.1", "3.0.2")], "task": "Scan"},
        )
        db.append(
            "r1",
            3,
            "change",
            "web1",
            {"layer": "os", "changes": [change("openssl", "3.0.1", "3.0.2")], "task": "Patch"},
        )
        db.append(
            "r1",
            4,
            "change",
            "sw1",
            {
                "layer": "network",
                "changes": [change("nxos.bin", "9.3.1", "9.3.9")],
                "failed": True,
                "msg": "reload timeout",
                "task": "Image",
            },
        )
        db.append(
            "r1",
            5,
            "rollback",
            "sw1",
            {"layer": "network", "changes": [change("nxos.bin", "9.3.9", "9.3.1")], "task": "Roll back"},
        )
        db.append("r1", 6, "unreachable", "db1", {"task": "Gather", "msg": "ssh: timeout"})
        forecast = {
            "layer": "os",
            "changes": [change("openssl", "3.0.1", "3.0.2")],
            "simulated": True,
            "task": "Forecast",
        }
        db.append("r1", 7, "change", "web2", forecast)
        db.append(
            "r1",
            8,
            "decision",
            "localhost",
            {"task": "Gate", "decision": {"kind": "gate", "wave": "pilot", "passed": False}},
        )


def test_build_totals(tmp_path):
    path = str(tmp_path / "ev.sqlite")
    populate(path)
    with open_store(path) as db:
        data = report.build(list(db.records()))
    totals = data["totals"]
    assert (totals["changes"], totals["succeeded"], totals["failed"], totals["rollbacks"], totals["hosts"]) == (
        2,
        1,
        1,
        1,
        2,
    )
    assert totals["success_rate"] == 0.5 and totals["simulated"] == 1
    assert data["per_layer"] == {"network": 1, "os": 1}
    assert [f["kind"] for f in data["failures"]] == ["change failed", "unreachable"]
    assert data["time_to_patch"]["items"][0]["component"] == "openssl" and data["time_to_patch"]["median_hours"] >= 0
    assert data["runs"][0]["change_ticket"] == "CHG-7" and data["runs"][0]["commit"] == "abc"


def test_files_and_html_are_self_contained(tmp_path):
    path = str(tmp_path / "ev.sqlite")
    populate(path)
    out = write_report(str(tmp_path / "out"), ["html", "json", "csv"], store=path)
    assert out["verification"]["ok"] and out["totals"]["changes"] == 2
    page = open(out["paths"]["html"]).read()
    assert "<svg" in page and 'id="chart-layers"' in page and "nxos.bin" in page and "9.3.9" in page
    assert (
        not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
        and "<script" not in page
        and "@import" not in page
    )
    rows = list(csv.DictReader(io.StringIO(open(out["paths"]["csv"]).read())))
    assert {(r["host"], r["component"], r["before"], r["after"]) for r in rows} >= {
        ("web1", "openssl", "3.0.1", "3.0.2")
    }
    assert json.load(open(out["paths"]["json"]))["totals"]["rollbacks"] == 1


def test_html_escapes_record_content():
    data = report.build([])
    data["failures"] = [
        {"recorded_at": "t", "host": "<b>x</b>", "kind": "failure", "task": "t", "msg": "<script>alert(1)</script>"}
    ]
    page = html.render(data)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_verify_store_summary(tmp_path):
    path = str(tmp_path / "ev.sqlite")
    populate(path)
    result = verify_store(path)
    assert (
        result["verified"]
        and result["records"] == 8
        and result["summary"].startswith("evidence verified: 8 records in 1 runs")
    )


def test_time_range_selects_records(tmp_path):
    path = str(tmp_path / "ev.sqlite")
    populate(path)
    today = __import__("datetime").datetime.now(__import__("datetime").timezone.utc).strftime("%Y-%m-%d")
    assert write_report(str(tmp_path / "a"), ["json"], store=path, since=today)["records"] == 8
    assert write_report(str(tmp_path / "b"), ["json"], store=path, until=today)["records"] == 0
