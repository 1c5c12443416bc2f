"""Scale-out on ansible-runner's streaming mode (issue 18 item 5): transmit | worker | process, and job slicing.

Each job is packed by the control side, run by ``ansible-runner worker`` in a separate process with none of the
controller's environment (an AWX execution node over Receptor), and unpacked by ``process``. The evidence
callback, its PostgreSQL DSN and its signing key travel inside the job (envvars and a key file in the private data
dir, as AWX credential injectors put them). Slices of the lab run at once, one worker each, into ONE PostgreSQL
store; every slice's run and the whole store verify with the key and the receipt log; nothing is lost or doubled.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import keyed_options, verify_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from evidence_helpers import HERE
from helpers.lab_cli import inventory_dir, lab
from helpers.runner_stream import job_env, private_data_dir, slices, stream_jobs

SECRET = "streaming-signing-key-5d0c71b2a8e4f9"
PATCH = """---
- name: Scan, then patch (a slice of the rollout's core)
  hosts: all
  gather_facts: false
  tasks:
    - name: Scan
      everylayer.patch.packages:
        state: scanned
    - name: Patch
      everylayer.patch.packages:
        state: patched
        names: [lab-agent, lab-utils]
        update_cache: false
"""


def artifacts(pdd: Path, ident):
    art = pdd / "artifacts" / ident
    events = [json.loads(p.read_text()) for p in sorted((art / "job_events").glob("*.json"))]
    stats = next(e for e in events if e["event"] == "playbook_on_stats")
    return art, stats["event_data"]["artifact_data"]["evidence"]


def keyed(receipts):
    return keyed_options(signing_key=SECRET, require_signature=True, receipt_log=str(receipts))


@pytest.mark.postgres
def test_streamed_slices_record_signed_evidence_in_one_postgresql(tmp_path, postgres_dsn):
    """Three slices of six hosts, each streamed to its own worker at once: three signed runs in one chain."""
    receipts = tmp_path / "published" / "receipts.jsonl"
    nodes = [f"node{n}" for n in range(1, 7)]
    env = job_env(postgres_dsn, receipts, ANSIBLE_LIBRARY=str(HERE / "library"))
    jobs = []
    for number, part in enumerate(slices(nodes, 3), 1):
        pdd = private_data_dir(
            tmp_path, f"slice{number}", (HERE / "smoke.yml").read_text(), HERE / "inventory.yml", SECRET
        )
        job = {"playbook": "play.yml", "limit": ",".join(part), "extravars": {"approver": "alice"}, "envvars": env}
        jobs.append((pdd, f"job-{number}", job))
    stream_jobs(jobs)
    published = []
    for (pdd, ident, _job), part in zip(jobs, slices(nodes, 3), strict=True):
        art, receipt = artifacts(pdd, ident)
        assert (art / "status").read_text() == "successful" and (art / "rc").read_text() == "0"
        assert receipt["signature"]["alg"] == "hmac-sha256" and receipt["head"]
        assert json.loads((art / "evidence_receipt.json").read_text()) == receipt  # came back through the stream
        assert f"EVIDENCE run={receipt['run_id']} records={receipt['records']}" in (art / "stdout").read_text()
        outcome = verify_store(postgres_dsn, run_id=receipt["run_id"], keyed=keyed(receipts))
        assert outcome["verified"] and outcome["signed_runs"] == [receipt["run_id"]], outcome["problems"]
        with open_store(postgres_dsn, readonly=True) as db:
            recs = list(db.records(run_id=receipt["run_id"]))
        assert recs[0].data["runner"]["ident"] == ident and recs[-1].kind == "run_end"
        assert [r.run_seq for r in recs] == list(range(1, receipt["records"] + 1))  # nothing lost or doubled
        # smoke.yml: one change and one failed change per host, one rollback per host
        assert Counter(r.host for r in recs if r.kind == "change") == {host: 2 for host in part}
        assert Counter(r.host for r in recs if r.kind == "rollback") == {host: 1 for host in part}
        published.append(receipt)
        for path in [*art.rglob("*"), receipts]:  # the key file stays in env/: no artifact, log or receipt has it
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes(), path
    whole = verify_store(postgres_dsn, keyed=keyed(receipts))
    assert whole["verified"] and whole["receipts_checked"] == 3 and len(whole["signed_runs"]) == 3, whole["problems"]
    with open_store(postgres_dsn, readonly=True) as db:
        assert [r.seq for r in db.records()] == list(range(1, sum(r["records"] for r in published) + 1))


def installed(info, name) -> str:
    if info["manager"] == "apt":
        argv = ["chroot", info["root"], "dpkg-query", "-W", "-f", "${Version}", name]
    else:
        argv = ["chroot", info["root"], "rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", name]
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.postgres
def test_lab_slices_sharing_a_run_id_write_concurrently_to_one_postgresql(tmp_path, postgres_dsn):
    """AWX job slicing of a lab scan + patch: every slice gets the same extra vars, so one rollout run id."""
    inv = inventory_dir()
    hosts_info = json.loads((inv / "lab.json").read_text())["lab"]["hosts"]
    by_manager = {}
    for name in sorted(hosts_info):  # at most two hosts of each package manager: six on any lab size
        by_manager.setdefault(hosts_info[name]["manager"], []).append(name)
    hosts = sorted(name for names in by_manager.values() for name in names[:2])
    lab("reset", *hosts)
    receipts = tmp_path / "published" / "receipts.jsonl"
    parts = slices(hosts, 3)
    extra = {"approver": "alice", "everylayer_run_id": "rollout-2026-12-07"}
    jobs = []
    for number, part in enumerate(parts, 1):
        pdd = private_data_dir(tmp_path, f"slice{number}", PATCH, inv / "hosts.yml", SECRET)
        job = {
            "playbook": "play.yml",
            "limit": ",".join(part),
            "extravars": extra,
            "envvars": job_env(postgres_dsn, receipts),
        }
        jobs.append((pdd, f"slice-{number}", job))
    try:
        stream_jobs(jobs)
        published = []
        for pdd, ident, _job in jobs:
            art, receipt = artifacts(pdd, ident)
            assert (art / "status").read_text() == "successful", (art / "stdout").read_text()
            published.append(receipt)
        whole = verify_store(postgres_dsn, keyed=keyed(receipts))
        assert whole["verified"], whole["problems"]
        assert whole["receipts_checked"] == 3 and len(whole["signed_runs"]) == 3
        with open_store(postgres_dsn, readonly=True) as db:
            recs = list(db.records())
        seqs = [r.seq for r in recs]
        assert seqs == list(range(1, len(recs) + 1))  # one unbroken chain: nothing lost
        assert len(recs) == sum(r["records"] for r in published)  # every slice's records, no others
        assert len({(r.run_id, r.hash) for r in recs}) == len(recs)
        assert {r["run_id"] for r in published} == {"rollout-2026-12-07"}
        for receipt, part in zip(published, parts, strict=True):
            ends = [r for r in recs if r.kind == "run_end" and r.hash == receipt["head"]]
            assert len(ends) == 1  # each slice's published head is its own run_end
            signed = ends[0].data["signature"]
            mine = [r for r in recs if r.seq in _expand(signed["seqs"])]
            assert Counter(r.kind for r in mine)["run_start"] == 1 and len(mine) == receipt["records"] - 1
            patched = [r for r in mine if r.kind == "change" and not r.data.get("scan")]
            scanned = [r for r in mine if r.kind == "change" and r.data.get("scan")]
            assert sorted(r.host for r in patched) == sorted(part) == sorted(r.host for r in scanned)  # once each
            for rec in patched:
                assert rec.data["changed"] and rec.data["changes"], (rec.host, rec.data.get("msg"))
                for change in rec.data["changes"]:  # the evidence against the host's own package database
                    assert installed(hosts_info[rec.host], change["component"]) == change["after"], rec.host
    finally:
        lab("reset", *hosts)


def _expand(spans):
    return {seq for first, last in spans for seq in range(first, last + 1)}
