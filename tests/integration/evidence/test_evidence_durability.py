"""Durability and concurrency: SIGKILL mid-run loses nothing already committed; 4 runs at once share one chain."""

import os
import re
import signal
import sqlite3
import subprocess
import time

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from evidence_helpers import evidence_env, playbook_cmd, write_playbook

pytestmark = pytest.mark.slow


def count_records(path):
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM evidence_records").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_sigkill_keeps_every_record_up_to_the_kill(tmp_path):
    store = tmp_path / "ev.sqlite"
    playbook = write_playbook(tmp_path / "long.yml", tasks=200, hosts="node1", sleep=0.05)
    out = open(tmp_path / "stdout.txt", "w")
    proc = subprocess.Popen(
        playbook_cmd(playbook), env=evidence_env(store), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 300
    while count_records(store) < 20 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the playbook ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the controller and its forks die at once, as with kill -9 on a job
    proc.wait(30)
    out.close()

    with open_store(str(store)) as db:
        records = list(db.records())
        result = db.verify()
    assert result.ok, result.problems
    changes = [r for r in records if r.kind == "change"]
    assert len(changes) >= 19
    # Every task the run got through is there, in order, with no hole: pkg-1 .. pkg-N.
    assert [r.data["changes"][0]["component"] for r in changes] == [f"pkg-{i}" for i in range(1, len(changes) + 1)]
    assert [r.run_seq for r in records] == list(range(1, len(records) + 1))
    # Every task the stdout callback showed as done before the kill has its record, but at most the one in flight.
    shown = [int(n) for n in re.findall(r"TASK \[step (\d+)\]", (tmp_path / "stdout.txt").read_text())]
    assert shown and len(changes) >= max(shown) - 2


def _four_at_once(tmp_path, store):
    playbook = write_playbook(tmp_path / "slice.yml", tasks=10)
    procs = []
    for n in range(4):
        # Like AWX job slices: each run gets its own slice of the six hosts... and all four write to one store.
        limit = ["node1,node2", "node3,node4", "node5", "node6"][n]
        procs.append(
            subprocess.Popen(
                playbook_cmd(playbook, "-l", limit, "-e", f"change_id=CHG-{n}"),
                env=evidence_env(store),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output
    with open_store(str(store)) as db:
        records = list(db.records())
        result = db.verify()
    assert result.ok, result.problems
    runs = {}
    for rec in records:
        runs.setdefault(rec.run_id, []).append(rec)
    assert len(runs) == 4
    expected = {f"CHG-{n}": 2 + 10 * hosts for n, hosts in enumerate([2, 2, 1, 1])}  # + run_start, run_end
    seen = {recs[0].data["change_ticket"]: len(recs) for recs in runs.values()}
    assert seen == expected
    for recs in runs.values():
        assert [r.run_seq for r in recs] == list(range(1, len(recs) + 1))
    for output in outputs:
        run_id, count, head = re.search(r"EVIDENCE run=(\S+) records=(\d+) head=(\S+)", output).groups()
        assert runs[run_id][-1].hash == head and len(runs[run_id]) == int(count)
    assert [r.seq for r in records] == list(range(1, 1 + sum(expected.values())))


def test_four_runs_at_once_on_one_sqlite_file(tmp_path):
    _four_at_once(tmp_path, tmp_path / "ev.sqlite")


@pytest.mark.postgres
def test_four_runs_at_once_on_one_postgresql(tmp_path, postgres_dsn):
    _four_at_once(tmp_path, postgres_dsn)


@pytest.mark.postgres
def test_database_down_mid_run_fails_the_run(tmp_path, postgres_server, postgres_dsn):
    playbook = write_playbook(tmp_path / "long.yml", tasks=60, hosts="node1", sleep=0.1)
    proc = subprocess.Popen(
        playbook_cmd(playbook),
        env=evidence_env(postgres_dsn),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with open_store(postgres_dsn) as db:
            if len(list(db.records())) >= 3:
                break
        time.sleep(0.2)
    postgres_server.stop_server()
    try:
        output = proc.communicate(timeout=300)[0]
    finally:
        postgres_server.start_server()
    assert proc.returncode == 16, output
    assert "evidence incomplete" in output and "TASK [step 60]" not in output
