"""docs/runner.md's recipe (extensions/runner/patch_runner.py) run against the lab: scan, a two-wave rollout and
the report, each one ansible_runner.run(); status, events, the evidence receipt and the change records read back."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
import yaml
from patch_runner import outcome, prepare, run
from rollout_lab import BASELINE, PACKAGES, PATCHED, REPO, versions, write_inventory


def job_dir(tmp_path: Path, hosts: dict[str, str], store: Path) -> Path:
    inventory = yaml.safe_load(write_inventory(tmp_path / "hosts.yml", hosts).read_text())
    return prepare(
        tmp_path / "job",
        inventory=inventory,
        store=store,
        envvars={
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),  # the repository's collections path (users install it)
            "ANSIBLE_NOCOLOR": "1",
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        },
    )


@pytest.mark.lab
@pytest.mark.slow
def test_recipe_runs_scan_rollout_and_report(tmp_path, apt_hosts):
    store = tmp_path / "evidence.sqlite"
    job = job_dir(tmp_path, {"lab-apt-01": "pilot", "lab-apt-02": "staged"}, store)
    assert oct((job / "env" / "envvars").stat().st_mode & 0o777) == "0o600"

    scan = outcome(run(job, "everylayer.patch.scan", ident="scan", extravars={"scan_hosts": "all"}))
    assert scan["status"] == "successful" and scan["rc"] == 0, scan["failures"]
    pending = {r["host"]: {p["component"]: p["after"] for p in r["pending"]} for r in scan["changes"]}
    assert {h: {p: v for p, v in found.items() if p in PACKAGES} for h, found in pending.items()} == {
        "lab-apt-01": PATCHED,
        "lab-apt-02": PATCHED,
    }
    assert scan["receipt"]["complete"] is True and scan["stats"]["ok"].keys() >= set(apt_hosts)

    extravars = {
        "change_id": "CHG-RUNNER-1",
        "rollout_approval": {"approver": "cab", "approved_at": "2026-01-05T09:00:00Z", "change_id": "CHG-RUNNER-1"},
        "everylayer_run_id": "runner-recipe-1",
        "apply_names": PACKAGES,
        "reboot_policy": "never",
        "rollout_run_waves": "pilot,staged",
        "rollout_manifest_dir": str(tmp_path / "manifests"),
    }
    rollout = outcome(run(job, "everylayer.patch.rollout", ident="rollout", extravars=extravars))
    assert rollout["status"] == "successful", rollout["failures"]
    assert rollout["receipt"]["run_id"] == "runner-recipe-1" and rollout["receipt"]["complete"] is True
    receipt_file = json.loads((Path(rollout["artifact_dir"]) / "evidence_receipt.json").read_text())
    assert receipt_file == rollout["receipt"]
    patched = {
        r["host"]: {c["component"]: c["after"] for c in r["changes"]} for r in rollout["changes"] if r["changes"]
    }
    assert patched == {"lab-apt-01": PATCHED, "lab-apt-02": PATCHED}
    assert versions("lab-apt-01") == versions("lab-apt-02") == PATCHED

    report_dir = Path(rollout["artifact_dir"]).parent / "report" / "reports"
    report = outcome(
        run(
            job,
            "everylayer.patch.report",
            ident="report",
            extravars={
                "run_id": rollout["receipt"]["run_id"],
                "report_dest": str(report_dir),
            },
        )
    )
    assert report["status"] == "successful", report["failures"]
    data = json.loads((report_dir / "evidence-report-runner-recipe-1.json").read_text())
    assert data["verification"]["ok"] is True
    stored = sorted((c["host"], c["component"], c["after"]) for c in data["changes"] if c["component"] in PACKAGES)
    seen = sorted((r["host"], c["component"], c["after"]) for r in rollout["changes"] for c in r["changes"])
    assert stored == seen and len(seen) == 4


@pytest.mark.lab
@pytest.mark.slow
def test_recipe_reports_a_failed_job_with_the_peer_words(tmp_path, apt_hosts):
    """A job that fails: status failed, the failed task and its message in failures; nothing installed."""
    job = job_dir(tmp_path, {"lab-apt-01": "pilot", "lab-apt-02": "staged"}, tmp_path / "evidence.sqlite")
    extravars = {"apply_names": PACKAGES, "rollout_run_waves": "pilot,staged"}  # staged needs a change_id
    result = outcome(run(job, "everylayer.patch.rollout", ident="no-ticket", extravars=extravars))
    assert result["status"] == "failed" and result["rc"] != 0
    assert any(re.search(r"change_id is required for the waves? staged", f["msg"] or "") for f in result["failures"])
    assert result["receipt"]["complete"] is True and result["changes"] == []
    assert versions("lab-apt-01") == versions("lab-apt-02") == BASELINE


def test_recipe_names_why_a_job_could_not_start(tmp_path):
    """No task ran (the playbook does not exist): status failed, ansible-playbook's own words in failures."""
    job = prepare(
        tmp_path / "job",
        inventory={"all": {"hosts": {"node1": {"ansible_connection": "local"}}}},
        store=tmp_path / "evidence.sqlite",
        envvars={
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        },
    )
    result = outcome(run(job, "everylayer.patch.no_such_playbook", ident="missing"))
    assert result["status"] == "failed" and result["rc"] != 0 and result["receipt"] is None
    assert len(result["failures"]) == 1 and result["failures"][0]["host"] is None
    assert "everylayer.patch.no_such_playbook" in result["failures"][0]["msg"], result["failures"]
