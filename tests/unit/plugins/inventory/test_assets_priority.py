"""Priority in the asset map (the assets plugin's priority option) through the real ansible-inventory: host var
asset_priority and the groups priority_p1.., priority_unknown, compliance_<state>, from the scans recorded in an
evidence store; no scan of any host of the map is an error, not an empty priority_p1."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from test_assets import REPO, run_inventory, unsafe

KEV = REPO / "tests" / "fixtures" / "advisories" / "kev" / "known_exploited_vulnerabilities_slice.json"
ASSETS = """- name: web01
  layers: [os]
  exposure: internet
  criticality: high
- name: db01
  layers: [os]
  exposure: internal
- name: sw01
  layers: [network]
"""


def pkg(component, severity, *advisories):
    return {"component": component, "before": "1", "after": "2", "severity": severity, "advisories": list(advisories)}


def config(tmp_path, store):
    (tmp_path / "facts.yml").write_text(ASSETS)
    path = tmp_path / "prio.assets.yml"
    path.write_text(
        "plugin: everylayer.patch.assets\nsources:\n  - {name: facts, path: facts.yml}\n"
        f"priority:\n  store: {Path(store).name}\n  kev: {KEV}\n"
    )
    return path


def test_priority_groups_and_host_vars_from_the_evidence_scans(tmp_path):
    store = tmp_path / "ev.sqlite"
    with open_store(str(store)) as db:
        scan = {"layer": "os", "scan": True, "changes": []}
        db.append(
            "s", 1, "change", "web01", dict(scan, pending=[pkg("openssl", "high", "CVE-2014-0160"), pkg("vim", "low")])
        )
        db.append("s", 2, "change", "db01", dict(scan, pending=[pkg("vim", "low"), pkg("curl", "low")]))
        db.append("s", 3, "change", "elsewhere01", dict(scan, pending=[pkg("vim", "critical")]))  # not in the map
        db.append("p", 1, "change", "db01", {"layer": "os", "changes": [pkg("curl", None)]})  # fixed since the scan
    data = unsafe(json.loads(run_inventory(config(tmp_path, store)).stdout))
    # web01: openssl KEV (CVE-2014-0160) on an internet-facing asset -> P1 in 2 days; db01: vim low -> P4 (curl was
    # patched after the scan); sw01's network layer was never scanned -> unknown
    assert data["priority_p1"]["hosts"] == ["web01"]
    assert data["priority_p4"]["hosts"] == ["db01"]
    assert data["priority_unknown"]["hosts"] == ["sw01"]
    assert "elsewhere01" not in data["_meta"]["hostvars"]
    web = data["_meta"]["hostvars"]["web01"]["asset_priority"]
    today = datetime.now(UTC).date()
    assert (web["tier"], web["kev"], web["overdue"]) == ("P1", ["CVE-2014-0160"], 0)
    assert web["next_deadline"] == (today + timedelta(days=2)).isoformat()
    assert web["counts"] == {"P1": 1, "P2": 0, "P3": 0, "P4": 1} and web["state"] == "due_soon"
    db = data["_meta"]["hostvars"]["db01"]["asset_priority"]
    assert (db["tier"], db["counts"]["P4"], db["layers"]["os"]["pending"]) == ("P4", 1, 1)
    assert sorted(data["compliance_due_soon"]["hosts"]) == ["web01"]
    assert sorted(data["compliance_unknown"]["hosts"]) == ["sw01"]


def test_a_store_without_any_scan_of_the_map_fails_the_inventory(tmp_path):
    store = tmp_path / "ev.sqlite"
    with open_store(str(store)) as db:
        db.append("p", 1, "change", "db01", {"layer": "os", "changes": [pkg("curl", None)]})
    done = run_inventory(config(tmp_path, store), env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"}, check=False)
    assert done.returncode != 0
    assert "priority: the evidence store has no scan of any of the 3 host(s) of the map" in done.stderr
    missing = run_inventory(
        config(tmp_path, tmp_path / "absent.sqlite"), env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"}, check=False
    )
    assert missing.returncode != 0 and "priority: no SQLite evidence store at" in missing.stderr
