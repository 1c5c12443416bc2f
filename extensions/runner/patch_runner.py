"""Run the everylayer.patch playbooks (scan, rollout, report) from Python with ansible-runner.

The recipe of docs/runner.md: copy this file into your project (it needs only ansible-runner and PyYAML), or read it
as the reference. Each function is small on purpose; the doc explains every step.

    from patch_runner import prepare, run, outcome
    job = prepare("jobs/chg-1234", inventory="hosts.yml", store="postgresql://evidence_writer@db/evidence")
    scan = outcome(run(job, "everylayer.patch.scan", ident="scan"))
    approval = {"approver": "cab-chair", "approved_at": "2026-12-07T09:30:00Z", "change_id": "CHG-1234"}
    rollout = outcome(run(job, "everylayer.patch.rollout", ident="rollout",
                          extravars={"change_id": "CHG-1234", "rollout_approval": approval}))
    report = outcome(run(job, "everylayer.patch.report", ident="report",
                         extravars={"run_id": rollout["receipt"]["run_id"]}))
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import ansible_runner
import yaml

# The events whose task result may carry a change record (a result with both `layer` and `changes`).
RESULT_EVENTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_item_on_ok": "ok",
    "runner_item_on_failed": "failed",
}


def prepare(private_data_dir, inventory, store, envvars=None, ssh_key=None) -> Path:
    """Lay out ansible-runner's private data dir once for a series of jobs.

    private_data_dir/
      inventory/hosts.yml     the inventory (a copy of a file, or a dict written as YAML)
      env/envvars             the evidence callback and its store for every job of this directory
      env/ssh_key             optional: a private key ansible-runner loads into an ssh-agent for the job
      artifacts/<ident>/      written by ansible-runner per job (status, rc, job_events/, stdout, evidence_receipt.json)
    """
    root = Path(private_data_dir).absolute()
    (root / "inventory").mkdir(parents=True, exist_ok=True)
    (root / "env").mkdir(mode=0o700, exist_ok=True)
    hosts = root / "inventory" / "hosts.yml"
    if isinstance(inventory, dict):
        hosts.write_text(yaml.safe_dump(inventory, sort_keys=False))
    else:
        shutil.copyfile(inventory, hosts)
    env = {
        "ANSIBLE_CALLBACKS_ENABLED": "everylayer.patch.evidence",  # record the run, hash-chained
        "EVERYLAYER_EVIDENCE_STORE": str(store),  # a SQLite path or a PostgreSQL DSN (password in ~/.pgpass)
        "EVERYLAYER_EVIDENCE_ON_ERROR": "fail",  # a store that cannot record stops the job
        **(envvars or {}),
    }
    envfile = root / "env" / "envvars"
    envfile.write_text(yaml.safe_dump(env, sort_keys=True))
    envfile.chmod(0o600)
    if ssh_key:
        keyfile = root / "env" / "ssh_key"
        keyfile.write_text(Path(ssh_key).read_text())
        keyfile.chmod(0o600)
    return root


def run(private_data_dir, playbook, ident, extravars=None, limit=None, timeout=None):
    """Run one playbook of the collection (`everylayer.patch.scan`, `.rollout`, `.report`) as one runner job.

    `ident` names the job's artifact directory (artifacts/<ident>). Give the playbooks' output directories
    (rollout_manifest_dir, scan_report_dir, report_dest) under it to keep a job's files with the job.
    """
    return ansible_runner.run(
        private_data_dir=str(private_data_dir),
        playbook=playbook,
        ident=ident,
        extravars=extravars or {},
        limit=limit,
        timeout=timeout,  # seconds; the job is stopped and its status is "timeout"
        quiet=True,  # the output stays in artifacts/<ident>/stdout and the events
    )


def receipt(runner) -> dict | None:
    """The evidence receipt: the run id, records, chain head and store, as the evidence callback published it.

    From the custom stats (the `playbook_on_stats` event's artifact_data, what AWX shows as the job's artifacts),
    else from artifacts/<ident>/evidence_receipt.json. None when the callback did not record (not enabled).
    """
    for event in runner.events:
        if event.get("event") == "playbook_on_stats":
            found = (event.get("event_data", {}).get("artifact_data") or {}).get("evidence")
            if found:
                return found
    path = Path(runner.config.artifact_dir) / "evidence_receipt.json"
    return json.loads(path.read_text()) if path.exists() else None


def change_records(runner) -> list[dict]:
    """Every change record a task of this job returned (a result carrying `layer` and `changes`), in order.

    Scans (`scan: true`) are kept too: their `pending` list is what a host still has to install.
    """
    records = []
    for event in runner.events:
        status = RESULT_EVENTS.get(event.get("event"))
        data = event.get("event_data", {})
        res = data.get("res") or {}
        if status and isinstance(res, dict) and "layer" in res and "changes" in res:
            records.append({"host": data.get("host"), "task": data.get("task"), "status": status, **res})
    return records


def failures(runner) -> list[dict]:
    """The failed and unreachable tasks (host, task, the module's message), ignored failures left out."""
    found = []
    for event in runner.events:
        data = event.get("event_data", {})
        if event.get("event") in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors"):
            res = data.get("res") or {}
            found.append({"host": data.get("host"), "task": data.get("task"), "msg": res.get("msg")})
    return found


def early_error(runner, lines=15) -> str:
    """The end of the job's output: why a job failed before any task (a syntax error, an argument spec, a missing
    collection or ansible-playbook), when no event names a failed task."""
    path = Path(runner.config.artifact_dir) / "stdout"
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.strip().splitlines()[-lines:]) or f"ansible-playbook ended with rc {runner.rc} and no output"


def outcome(runner) -> dict:
    """What a caller needs after a job: status and rc, per-host stats, the receipt, change records, failures.

    A job that failed without a failed task (the playbook could not start) has one failure: the output's end.
    """
    failed = failures(runner)
    if runner.status != "successful" and not failed:
        failed = [{"host": None, "task": None, "msg": early_error(runner)}]
    return {
        "status": runner.status,  # successful, failed, timeout, canceled
        "rc": runner.rc,
        "stats": runner.stats,  # per host: ok, changed, failures, dark (unreachable), skipped, rescued, ignored
        "artifact_dir": runner.config.artifact_dir,
        "receipt": receipt(runner),
        "changes": change_records(runner),
        "failures": failed,
    }
