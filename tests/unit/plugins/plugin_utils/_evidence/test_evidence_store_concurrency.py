"""Several processes appending to one store form one unbroken chain (SQLite file and PostgreSQL)."""

import multiprocessing

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store

WRITERS, EACH = 4, 40


def _writer(target, run_id):
    with open_store(target) as db:
        for i in range(EACH):
            db.append(run_id, i + 1, "change", "h", {"i": i})


def test_concurrent_writers(store_target):
    open_store(store_target).close()  # create the schema once, as the first run would
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(store_target, f"run-{n}")) for n in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    with open_store(store_target) as db:
        records = list(db.records())
        result = db.verify()
    assert result.ok, result.problems
    assert [r.seq for r in records] == list(range(1, WRITERS * EACH + 1))
    for n in range(WRITERS):
        assert [r.run_seq for r in records if r.run_id == f"run-{n}"] == list(range(1, EACH + 1))
