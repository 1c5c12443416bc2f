"""The chain: every kind of tampering is detected and named, on both backends."""

import os
import stat

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.chain import GENESIS


def fill(db, count=6, run="run-a"):
    return [db.append(run, i + 1, "change", f"h{i}", {"n": i, "layer": "os", "changes": []}) for i in range(count)]


def execute(db, sql, params=()):
    """Tamper with the store directly, as an attacker with database access would."""
    if db.backend == "sqlite":
        sql = sql.replace("%s", "?")
        db._db.execute(sql, params)
    else:
        db._db.execute(sql, params)


def test_clean_chain_verifies(store):
    recs = fill(store)
    assert recs[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(recs, recs[1:], strict=False))
    result = store.verify(expected_head=recs[-1].hash)
    assert result.ok, result.problems
    assert (result.records, result.runs, result.head_seq) == (6, 1, 6)


def test_edit_is_named(store):
    fill(store)
    execute(store, "UPDATE evidence_records SET body = %s WHERE seq = 3", ('{"n":99}',))
    problems = store.verify().problems
    assert problems[0]["problem"] == "edited" and problems[0]["seq"] == 3


def test_edit_with_rehash_breaks_the_next_link(store):
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.chain import record_hash

    recs = fill(store)
    rec = recs[2]
    forged = record_hash(rec.prev_hash, rec.run_id, rec.run_seq, rec.kind, rec.host, rec.recorded_at, '{"n":99}')
    execute(store, "UPDATE evidence_records SET body = %s, hash = %s WHERE seq = 3", ('{"n":99}', forged))
    problems = store.verify().problems
    assert problems and problems[0]["seq"] == 4


def test_deletion_is_named(store):
    fill(store)
    execute(store, "DELETE FROM evidence_records WHERE seq = 4")
    problems = store.verify().problems
    assert [p["problem"] for p in problems] == ["deleted"]
    assert problems[0]["seq"] == 5


def test_deletion_with_renumbering_is_named(store):
    fill(store)
    execute(store, "DELETE FROM evidence_records WHERE seq = 4")
    execute(store, "UPDATE evidence_records SET seq = seq - 1 WHERE seq > 4")
    problems = store.verify().problems
    assert problems[0]["problem"] == "deleted" and problems[0]["seq"] == 4


def test_insertion_is_named(store):
    recs = fill(store)
    execute(store, "UPDATE evidence_records SET seq = seq + 100 WHERE seq > 3")
    execute(store, "UPDATE evidence_records SET seq = seq - 99 WHERE seq > 100")
    fake = recs[2]
    execute(
        store,
        "INSERT INTO evidence_records (seq, run_id, run_seq, kind, host, recorded_at, body, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (4, "forged", 1, "change", "h9", fake.recorded_at, '{"n":42}', fake.hash, "f" * 64),
    )
    kinds = {p["problem"]: p["seq"] for p in store.verify().problems}
    assert kinds.get("inserted") == 4


def test_reordering_is_named(store):
    fill(store)
    execute(store, "UPDATE evidence_records SET seq = 100 WHERE seq = 3")
    execute(store, "UPDATE evidence_records SET seq = 3 WHERE seq = 4")
    execute(store, "UPDATE evidence_records SET seq = 4 WHERE seq = 100")
    problems = store.verify().problems
    assert problems[0]["problem"] == "reordered" and problems[0]["seq"] == 3


def test_truncated_tail_is_caught_by_the_receipt_head(store):
    recs = fill(store)
    execute(store, "DELETE FROM evidence_records WHERE seq = 6")
    assert store.verify().ok  # a truncated chain is still a chain...
    result = store.verify(expected_head=recs[-1].hash)  # ...but not the one the receipt names
    assert not result.ok and result.problems[0]["problem"] == "deleted"


def test_prune_leaves_a_verifiable_anchor(store):
    fill(store, 5)
    execute(store, "UPDATE evidence_records SET recorded_at = %s WHERE seq <= 3", ("2020-01-01T00:00:00.000000Z",))
    # The forged timestamps break those records' hashes, so re-hash them as an honest old store would have them.
    _rehash_all(store)
    anchor = store.prune(30)
    assert anchor["pruned_through"] == 3 and anchor["count"] == 3
    records = list(store.records())
    assert [r.seq for r in records] == [4, 5, 6] and records[-1].kind == "prune"
    result = store.verify()
    assert result.ok, result.problems
    assert store.prune(30) is None


def test_prune_of_every_record_then_again_keeps_one_anchor(store):
    """Every record old (no record kept from the period), then a later prune: the anchor row is updated, not added."""
    fill(store, 3)
    old = "2020-01-01T00:00:00.000000Z"
    execute(store, "UPDATE evidence_records SET recorded_at = %s", (old,))
    _rehash_all(store)
    first = store.prune(30)
    assert (first["pruned_through"], first["count"]) == (3, 3)
    assert [(r.seq, r.kind) for r in store.records()] == [(4, "prune")]
    fill(store, 2, run="run-b")
    execute(store, "UPDATE evidence_records SET recorded_at = %s WHERE seq <= 5", (old,))
    _rehash_all_after_anchor(store)
    second = store.prune(30)
    assert (second["pruned_through"], second["count"], second["oldest_at"]) == (5, 5, first["oldest_at"])
    assert [r.seq for r in store.records()] == [6, 7]
    assert store.anchor().as_dict() == second
    result = store.verify()
    assert result.ok, result.problems


def _rehash_all_after_anchor(db):
    """As _rehash_all, for a store whose chain starts at the pruning anchor."""
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.chain import record_hash

    prev = db.anchor().last_hash
    for rec in list(db.records()):
        digest = record_hash(prev, rec.run_id, rec.run_seq, rec.kind, rec.host, rec.recorded_at, rec.body)
        execute(db, "UPDATE evidence_records SET prev_hash = %s, hash = %s WHERE seq = %s", (prev, digest, rec.seq))
        prev = digest


def test_tampered_anchor_is_named(store):
    fill(store, 4)
    execute(store, "UPDATE evidence_records SET recorded_at = %s WHERE seq <= 2", ("2020-01-01T00:00:00.000000Z",))
    _rehash_all(store)
    store.prune(30)
    execute(store, "UPDATE evidence_anchor SET count = 1")
    execute(store, "UPDATE evidence_anchor SET digest = %s", ("0" * 64,))
    assert "anchor" in [p["problem"] for p in store.verify().problems]


def test_sqlite_file_is_owner_only(tmp_path):
    path = tmp_path / "sub" / "ev.sqlite"
    with open_store(str(path)) as db:
        fill(db, 1)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def _rehash_all(db):
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.chain import record_hash

    prev = GENESIS
    for rec in list(db.records()):
        digest = record_hash(prev, rec.run_id, rec.run_seq, rec.kind, rec.host, rec.recorded_at, rec.body)
        execute(db, "UPDATE evidence_records SET prev_hash = %s, hash = %s WHERE seq = %s", (prev, digest, rec.seq))
        prev = digest


@pytest.mark.parametrize(("synchronous", "sqlite_value", "pg_value"), [("normal", 1, "off"), ("full", 2, "on")])
def test_synchronous_setting_reaches_the_backend(store_target, synchronous, sqlite_value, pg_value):
    with open_store(store_target, synchronous=synchronous) as db:
        if db.backend == "sqlite":
            assert db._db.execute("PRAGMA synchronous").fetchone()[0] == sqlite_value
            assert db._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        else:
            assert db._db.execute("SHOW synchronous_commit").fetchone()[0] == pg_value


def test_records_stream_page_by_page_with_filters(store, monkeypatch):
    """records() pages by seq (keyset) on both backends: every record once, in order, filters kept across pages."""
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import store as store_module

    monkeypatch.setattr(store_module, "PAGE", 3)
    for i in range(10):
        store.append("run-a" if i % 2 == 0 else "run-b", i + 1, "change", f"h{i}", {"i": i})
    assert [r.data["i"] for r in store.records()] == list(range(10))
    assert [r.data["i"] for r in store.records(run_id="run-a")] == [0, 2, 4, 6, 8]
