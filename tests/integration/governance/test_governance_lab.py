# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Governance on the lab, one story: a scan with advisory sources ranks every pending update (scan report), the
asset map's priority groups follow the evidence (P1 before the rollout, not after), a rollout (pilot, then an
approved staged wave, with an AWX job id) patches, and the report's compliance overview agrees in HTML (rendered by
headless Chromium), JSON and CSV with the approval, change id and job id shown."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rollout"))
from rollout_lab import LAB_JSON, REPO, reset, rollout, run_playbook, write_inventory  # noqa: E402

pytestmark = [pytest.mark.lab, pytest.mark.slow]
# pilot covers apt and dnf; the staged wave (approved) holds the zypper host, for which pilot froze nothing: it is
# deferred, and stays P1
HOSTS = {"lab-apt-01": "pilot", "lab-dnf-01": "pilot", "lab-zypper-01": "staged"}
FIX = REPO / "tests" / "fixtures" / "advisories"
KEV = FIX / "kev" / "known_exploited_vulnerabilities_slice.json"
# lab-agent's security update (ELSA-2026:0101, CVE-2026-21037) declared a zero-day: P1 in one day
POLICY = """\
zero_day: [CVE-2026-21037, ELSA-2026:0101]
rules:
  - {name: zero-day, when: {zero_day: true}, tier: P1, sla_days: 1}
  - {name: critical-or-high, when: {severity: [critical, high]}, tier: P2}
  - {name: medium, when: {severity: [medium]}, tier: P3}
"""
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]  # fmt: skip


def priority_groups(tmp_path, store):
    """ansible-inventory over the lab's asset map with priority from the evidence store."""
    config = tmp_path / "prio.assets.yml"
    config.write_text(
        "plugin: everylayer.patch.assets\n"
        f"sources:\n  - {{name: lab, type: lab, path: {LAB_JSON}, allow_vars: ['ansible_*', 'everylayer_*']}}\n"
        f"priority: {{store: {store}, policy: {tmp_path / 'policy.yml'}, kev: {KEV}}}\n"
    )
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    argv = [str(Path(sys.executable).with_name("ansible-inventory")), "-i", str(config), "--list"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    return {g: sorted(set(v.get("hosts", [])) & set(HOSTS)) for g, v in data.items() if g.startswith("priority_")}


@pytest.fixture()
def hosts():
    reset(*HOSTS)
    yield HOSTS
    reset(*HOSTS)


def test_scan_rank_rollout_and_report_compliance(tmp_path, hosts):
    (tmp_path / "policy.yml").write_text(POLICY)
    inventory = write_inventory(tmp_path / "hosts.yml", hosts)
    # as the asset map has it: each asset's wave (the compliance overview counts deployments per wave from it)
    inv = yaml.safe_load(inventory.read_text())
    for group in inv["all"]["children"].values():
        for name, hostvars in group["hosts"].items():
            hostvars["asset"]["wave"] = hosts[name]
    inventory.write_text(yaml.safe_dump(inv))
    store = tmp_path / "evidence.sqlite"
    scans = tmp_path / "scans"
    scan = run_playbook(
        "scan.yml",
        inventory,
        store,
        {
            "scan_hosts": "all",
            "scan_report_dir": str(scans),
            "scan_policy": str(tmp_path / "policy.yml"),
            "scan_kev": str(KEV),
            "scan_osv": [str(FIX / "osv" / d) for d in ("debian", "github", "ubuntu")],
        },
    )
    assert scan.returncode == 0, scan.stdout[-3000:]
    (report,) = scans.glob("scan-*.json")
    data = json.loads(report.read_text())
    assert data["risk"]["first_seen"] == "evidence" and data["risk"]["feeds"]["kev_entries"] > 0
    for host in HOSTS:
        pending = {p["component"]: p for p in data["hosts"][host]["pending"]}
        agent = pending["lab-agent"]["risk"]
        assert (agent["tier"], agent["rule"], agent["zero_day"], agent["sla_days"]) == ("P1", "zero-day", True, 1)
        assert data["hosts"][host]["priority"] == "P1"
        assert all(p["risk"]["tier"] and p["risk"]["deadline"] for p in pending.values())
    assert sorted(data["risk"]["groups"]["priority_p1"]) == sorted(HOSTS)
    rows = list(csv.DictReader(report.with_suffix(".csv").open()))
    assert {(r["host"], r["tier"], r["rule"]) for r in rows if r["package"] == "lab-agent"} == {
        (h, "P1", "zero-day") for h in HOSTS
    }
    assert "priority_p1: lab-apt-01 lab-dnf-01 lab-zypper-01" in scan.stdout
    # the asset map: both hosts P1 from the recorded scans
    assert priority_groups(tmp_path, store)["priority_p1"] == sorted(HOSTS)

    run = rollout(inventory, store, awx_job_id=4242)
    assert run.returncode == 0, run.stdout[-3000:]
    # lab-agent (the zero-day) and lab-cron were patched on the pilot hosts: no P1 left there, the rest still
    # pending; the deferred zypper host is still P1
    groups = priority_groups(tmp_path, store)
    assert groups["priority_p1"] == ["lab-zypper-01"]
    assert sorted(groups.get("priority_p2", []) + groups.get("priority_p3", [])) == ["lab-apt-01", "lab-dnf-01"]

    out = tmp_path / "reports"
    rep = run_playbook(
        "report.yml",
        inventory,
        store,
        {"report_dest": str(out), "report_policy": str(tmp_path / "policy.yml"), "report_kev": str(KEV)},
    )
    assert rep.returncode == 0, rep.stdout[-3000:]
    assert "compliance as of" in rep.stdout
    doc = json.loads((out / "evidence-report.json").read_text())
    comp = doc["compliance"]
    # both hosts' os layer: scanned today, the zero-day fixed within its day, the rest due within the SLA
    assert {(a["host"], a["layer"]) for a in comp["assets"]} == {(h, "os") for h in HOSTS}
    assert comp["remediation"]["per_severity"] and comp["remediation"]["sla_attainment"] == 1.0
    fixed = {(i["host"], i["component"]) for i in comp["remediation"]["items"]}
    assert {("lab-apt-01", "lab-agent"), ("lab-dnf-01", "lab-agent")} <= fixed
    assert (
        comp["deployments"]["per_wave"]["pilot"]["succeeded"] == 2 and "staged" not in comp["deployments"]["per_wave"]
    )
    zypper = next(a for a in comp["assets"] if a["host"] == "lab-zypper-01")
    agent = next(i for i in zypper["items"] if i["component"] == "lab-agent")
    assert zypper["state"] == "due_soon" and (agent["tier"], agent["status"]) == ("P1", "due_soon")
    approval = doc["waves"]["staged"]["approvals"][0]
    assert (approval["approver"], approval["change_id"]) == ("rollout-tests", "CHG-TEST-1")
    applied = [r for r in doc["changes"] if r["status"] == "applied"]
    assert applied and {(r["change_ticket"], r["awx_job_id"]) for r in applied} == {("CHG-TEST-1", "4242")}
    crows = list(csv.DictReader((out / "evidence-report-compliance.csv").open()))
    assert {(r["host"], r["state"]) for r in crows} == {(a["host"], a["state"]) for a in comp["assets"]}
    assert {
        r["awx_job_id"] for r in csv.DictReader((out / "evidence-report.csv").open()) if r["status"] == "applied"
    } == {"4242"}
    # the HTML in a real browser: the overview first, the states, the wave's approval, the job id
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium not found: install the Debian package 'chromium' (scripts/apt-packages.txt)"
    env = dict(
        os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_CACHE_HOME=str(tmp_path / "c")
    )
    page = f"file://{out / 'evidence-report.html'}"
    argv = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*argv, "--dump-dom", page], check=False, env=env, capture_output=True, text=True, timeout=120
    ).stdout
    assert dom.index('id="compliance"') < dom.index('id="tile-changes"')
    rate = comp["summary"]["compliance_rate"]
    assert re.search(rf'id="compliance-rate"><b>{rate * 100:.1f}%</b>', dom)
    for item in comp["assets"]:
        assert f"<tr><td>{item['host']}</td><td>os</td><td>{item['state']}</td>" in dom
    assert "rollout-tests (CHG-TEST-1)" in dom and "<td>4242</td>" in dom
    shots = os.environ.get("EVERYLAYER_GOVERNANCE_SCREENSHOT")  # docs/img/governance-report.png is made this way
    if shots:
        subprocess.run(
            [*argv, "--window-size=1200,2400", f"--screenshot={shots}", page],
            check=True,
            env=env,
            capture_output=True,
            timeout=120,
        )
