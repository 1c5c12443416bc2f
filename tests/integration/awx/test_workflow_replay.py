"""The AWX rollout workflow replayed with ansible-runner: each node one ansible_runner.run() in its own private data
dir (a fresh container: nothing on disk crosses nodes), with the variables AWX injects and the earlier nodes'
artifacts (set_stats) as extra vars, as AWX passes them. Staged installs exactly what pilot froze, although a newer
version is published in between; manifests and reports land in each job's artifact directory, not in $HOME or the
caller's working directory."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml
from patch_runner import outcome, prepare, run
from rollout_lab import PACKAGES, PATCHED, REPO, evidence, lab, versions, write_inventory

# The playbook side (rollout_frozen published with set_stats and accepted from extra vars; manifests and reports
# under AWX_ISOLATED_DATA_DIR) touches roles/rollout and playbooks/, which were not free to edit yet: docs/awx.md
# ("Hand-offs between workflow nodes") lists the edits. Strict: once they land these tests pass and the marker goes.
WORKFLOW = yaml.safe_load((REPO / "extensions" / "awx" / "objects.yml").read_text())
CONFIG = REPO / "ansible.cfg"  # the repository's collections path; the job templates' project is the repository


def awx_vars(job_id: int, template: str) -> dict:
    """What AWX adds to a workflow node's extra vars (both prefixes; AWX still injects tower_*)."""
    found = {"workflow_job_id": 900, "workflow_job_name": "everylayer rollout", "user_name": "admin"}
    found.update(job_id=job_id, job_template_name=template, job_launch_type="workflow", project_revision="abc123")
    return {f"{prefix}_{k}": v for prefix in ("awx", "tower") for k, v in found.items()}


def template_vars(name: str) -> dict:
    return next(jt for jt in WORKFLOW["awx_job_templates"] if jt["name"] == name).get("extra_vars", {})


class Workflow:
    """Runs nodes like AWX: survey answers and each node's template vars, AWX's variables, and the artifacts of every
    earlier node (later ones win), each node in a new private data dir."""

    def __init__(self, tmp_path: Path, hosts: dict[str, str], survey: dict):
        self.tmp, self.survey, self.artifacts, self.job_id = tmp_path, survey, {}, 100
        self.inventory = yaml.safe_load(write_inventory(tmp_path / "hosts.yml", hosts).read_text())
        self.store = tmp_path / "evidence.sqlite"
        self.home = tmp_path / "home"  # the controller's $HOME: nothing may be written under it
        self.home.mkdir()

    def node(self, ident: str, template: str, playbook: str, **extra) -> dict:
        self.job_id += 1
        job = prepare(
            self.tmp / ident,
            inventory=self.inventory,
            store=self.store,
            envvars={
                "ANSIBLE_CONFIG": str(CONFIG),
                "ANSIBLE_NOCOLOR": "1",
                "HOME": str(self.home),
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            },
        )
        (job / "project").symlink_to(CONFIG.parent)  # AWX's project checkout: the templates' playbook paths
        extravars = {**self.artifacts, **template_vars(template), **self.survey, **awx_vars(self.job_id, template)}
        extravars.update(extra)
        result = outcome(run(job, playbook, ident=ident, extravars=extravars))
        result["artifact_data"] = artifact_data(Path(result["artifact_dir"]))
        self.artifacts.update(result["artifact_data"])
        return result


def artifact_data(artifact_dir: Path) -> dict:
    """The set_stats data of a job, as AWX stores it as the job's artifacts (the playbook_on_stats event)."""
    for path in sorted((artifact_dir / "job_events").glob("*.json")):
        event = json.loads(path.read_text())
        if event.get("event") == "playbook_on_stats":
            return event.get("event_data", {}).get("artifact_data") or {}
    return {}


@pytest.mark.lab
@pytest.mark.slow
def test_workflow_nodes_hand_the_frozen_manifest_on(tmp_path, apt_hosts, request):
    flow = Workflow(
        tmp_path,
        {"lab-apt-01": "pilot", "lab-apt-02": "staged"},
        {"change_id": "CHG-AWX-7", "change_approver": "cab-chair"},
    )
    lab_vars = {"apply_names": PACKAGES, "reboot_policy": "never"}

    pilot = flow.node("pilot", "everylayer wave pilot", "playbooks/rollout.yml", **lab_vars)
    assert pilot["status"] == "successful", pilot["failures"]
    frozen = pilot["artifact_data"]["rollout_frozen"]
    assert frozen["manifest"] == {"apt": PATCHED} and frozen["change_id"] == "CHG-AWX-7" and frozen["wave"] == "pilot"
    assert frozen["run_id"] == pilot["artifact_data"]["evidence"]["run_id"] == pilot["receipt"]["run_id"]
    written = Path(pilot["artifact_dir"]) / "manifests" / f"{frozen['run_id']}.json"
    assert json.loads(written.read_text())["manifest"] == frozen["manifest"]
    assert oct(written.stat().st_mode & 0o777) == "0o600"

    newer = lab("publish", "lab-agent").strip()  # between the approval and staged: must not be installed
    request.addfinalizer(lambda: lab("unpublish"))

    staged = flow.node("staged", "everylayer wave staged", "playbooks/rollout.yml", **lab_vars)
    assert staged["status"] == "successful", staged["failures"]
    assert versions("lab-apt-02") == PATCHED, f"staged installed something pilot did not freeze ({newer})"
    installed = {c["component"]: c["after"] for r in staged["changes"] for c in r["changes"]}
    assert installed == frozen["manifest"]["apt"]
    records = evidence(flow.store)
    staged_run = staged["receipt"]["run_id"]
    start = next(r for r in records if r["run_id"] == staged_run and r["kind"] == "run_start")["data"]
    assert start["awx"]["awx_job_id"] == 102 and start["change_ticket"] == "CHG-AWX-7"
    # the approval the staged node ran under (its template builds it from the workflow's answers) is in the evidence
    (approved,) = [
        r["data"]["decision"]
        for r in records
        if r["run_id"] == staged_run and r["kind"] == "decision" and r["data"]["decision"]["kind"] == "approval"
    ]
    assert (approved["wave"], approved["approver"], approved["change_id"]) == ("staged", "cab-chair", "CHG-AWX-7")

    report = flow.node("report", "everylayer report", "playbooks/report.yml", run_id=staged_run)
    assert report["status"] == "successful", report["failures"]
    html = Path(report["artifact_dir"]) / "reports" / f"evidence-report-{staged_run}.html"
    assert html.is_file()
    assert not (REPO / "reports" / html.name).exists() and not (Path.cwd() / "reports" / html.name).exists()
    assert not (flow.home / ".local").exists(), "a node wrote under the controller's $HOME"


@pytest.mark.lab
def test_a_malformed_handed_over_manifest_stops_the_plan(tmp_path):
    """An artifact that is not a manifest fails the plan with the key named; no host is touched."""
    flow = Workflow(
        tmp_path,
        {"lab-apt-01": "pilot", "lab-apt-02": "staged"},
        {"change_id": "CHG-AWX-8", "change_approver": "cab-chair"},
    )
    flow.artifacts["rollout_frozen"] = {"run_id": "r1", "manifest": {"apt": {"lab-agent": ""}}}
    staged = flow.node("staged", "everylayer wave staged", "playbooks/rollout.yml", apply_names=PACKAGES)
    assert staged["status"] == "failed" and staged["changes"] == []
    assert any("manifest.apt.lab-agent must be a version string" in (f["msg"] or "") for f in staged["failures"])
