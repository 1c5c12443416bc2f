"""Benchmark: job slicing on ansible-runner's streaming mode against a single run, evidence in one PostgreSQL.

    .venv/bin/python benchmarks/slicing/run.py [--slices 2,3] [--hosts N] [--repeat 1] [--json OUT]

Run from the repo root, as root, with the lab up (EVERYLAYER_LAB_DIR / EVERYLAYER_LAB_PORT_BASE /
EVERYLAYER_LAB_INVENTORY_DIR select a lab instance, as for python -m lab). In ONE invocation, on the same lab
hosts and the same scan + patch playbook (the scan, then ``everylayer.patch.packages state=patched`` of every
pending update), each run from hosts reset to their baseline and with a fresh evidence schema in one PostgreSQL
server (started here, tests/helpers/postgres.py), the evidence callback signing with an HMAC key:
- single: one ``ansible_runner.run()`` of all hosts (forks 10, what a job without slicing does);
- streamed: the same job through ``transmit | ansible-runner worker | process`` (one execution node);
- sliced S: S jobs, host i in slice i mod S (AWX job slicing), each streamed to its own worker, all at once.
Every run must succeed, verify (chain, signatures, receipts) and hold one patch record per host; the figures are
wall seconds and the ratio to the single run of the same invocation. Prints JSON, then a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / ".collections"), str(REPO)]
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])  # ansible-playbook

import ansible_runner  # noqa: E402
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import (  # noqa: E402
    keyed_options,
    verify_store,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store  # noqa: E402
from helpers.lab_cli import inventory_dir, lab  # noqa: E402
from helpers.postgres import PostgresServer  # noqa: E402
from helpers.runner_stream import job_env, private_data_dir, slices, stream_jobs  # noqa: E402

KEY = "benchmark-signing-key-0f9e8d7c6b5a"
PLAY = """---
- name: Scan, then patch
  hosts: all
  gather_facts: false
  tasks:
    - name: Scan
      everylayer.patch.packages:
        state: scanned
    - name: Patch every pending update
      everylayer.patch.packages:
        state: patched
        update_cache: false
"""


def fresh_schema(dsn):
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS evidence_records, evidence_anchor")


def one_run(mode, count, hosts, inventory, dsn, root: Path) -> dict:
    lab("reset", *hosts)
    fresh_schema(dsn)
    work = Path(tempfile.mkdtemp(dir=root))
    receipts = work / "receipts.jsonl"
    started = time.perf_counter()
    if mode == "single":
        pdd = private_data_dir(work, "single", PLAY, inventory, KEY)
        result = ansible_runner.run(
            private_data_dir=str(pdd),
            ident="single",
            playbook="play.yml",
            limit=",".join(hosts),
            envvars=job_env(dsn, receipts),
            quiet=True,
        )
        statuses = [result.status]
        if result.status != "successful":
            print(result.stdout.read()[-3000:], file=sys.stderr)
    else:
        parts = slices(hosts, count)
        jobs = [
            (
                private_data_dir(work, f"s{n}", PLAY, inventory, KEY),
                f"s{n}",
                {"playbook": "play.yml", "limit": ",".join(part), "envvars": job_env(dsn, receipts)},
            )
            for n, part in enumerate(parts, 1)
        ]
        stream_jobs(jobs)
        statuses = [(pdd / "artifacts" / ident / "status").read_text() for pdd, ident, _job in jobs]
    wall = time.perf_counter() - started
    outcome = verify_store(dsn, keyed=keyed_options(signing_key=KEY, require_signature=True, receipt_log=str(receipts)))
    with open_store(dsn, readonly=True) as db:
        recs = list(db.records())
    patched = sorted(r.host for r in recs if r.kind == "change" and not r.data.get("scan"))
    ok = all(s == "successful" for s in statuses) and outcome["verified"] and patched == sorted(hosts)
    return {
        "mode": mode,
        "slices": count,
        "hosts": len(hosts),
        "wall_s": round(wall, 1),
        "records": len(recs),
        "runs": outcome["runs"],
        "verified": outcome["verified"],
        "ok": ok,
        "statuses": statuses,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", default="2,3")
    parser.add_argument("--hosts", type=int, default=0, help="first N Linux hosts of the lab (0: all)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    inventory = inventory_dir() / "hosts.yml"
    hosts = sorted(json.loads((inventory_dir() / "lab.json").read_text())["lab"]["hosts"])
    hosts = hosts[: args.hosts] if args.hosts else hosts
    plan = [("single", 1), ("streamed", 1)] + [("sliced", int(n)) for n in args.slices.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, PostgresServer() as server:
        for _round in range(args.repeat):
            for mode, count in plan:
                rows.append(one_run(mode, count, hosts, inventory, server.dsn, Path(tmp)))
        lab("reset", *hosts)
    base = sum(r["wall_s"] for r in rows if r["mode"] == "single") / args.repeat
    for row in rows:
        row["ratio"] = round(row["wall_s"] / base, 2)
    report = {
        "machine": {"cpus": os.cpu_count(), "load": os.getloadavg(), "python": platform.python_version()},
        "rows": rows,
    }
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    print("\n| run | slices | hosts | wall s | vs single | records | runs | verified |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        label = r["mode"] + ("" if r["mode"] != "sliced" else f" x{r['slices']}")
        cells = [
            label,
            r["slices"],
            r["hosts"],
            r["wall_s"],
            f"{r['ratio']:.2f}x",
            r["records"],
            r["runs"],
            r["verified"],
        ]
        print("| " + " | ".join(str(cell) for cell in cells) + " |")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
