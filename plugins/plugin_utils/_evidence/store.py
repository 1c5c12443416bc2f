# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The store interface: append a record to the global chain, read it back, prune old records.

Backends give a writer-exclusive transaction (``_locked``), a read cursor (``_reading``), their SQL
placeholder and their upsert of the pruning anchor. The chain logic and its SQL live here, once.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from .chain import GENESIS, Anchor, Record, canonical, pruned_digest, record_hash, verify

COLUMNS = "seq, run_id, run_seq, kind, host, recorded_at, body, prev_hash, hash"
PAGE = 2000  # records per page when streaming

DEFAULT_SQLITE_PATH = os.path.join("~", ".local", "share", "everylayer", "evidence.sqlite")


def schema(big_int: str) -> tuple[str, ...]:
    """The tables and indexes of every backend; ``big_int`` is its type for sequence numbers and counts."""
    return (
        f"""CREATE TABLE IF NOT EXISTS evidence_records (
        seq {big_int} PRIMARY KEY,
        run_id TEXT NOT NULL,
        run_seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        host TEXT,
        recorded_at TEXT NOT NULL,
        body TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS evidence_records_run ON evidence_records (run_id)",
        "CREATE INDEX IF NOT EXISTS evidence_records_at ON evidence_records (recorded_at)",
        "CREATE INDEX IF NOT EXISTS evidence_records_host ON evidence_records (host)",
        f"""CREATE TABLE IF NOT EXISTS evidence_anchor (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pruned_through {big_int} NOT NULL,
        last_hash TEXT NOT NULL,
        count {big_int} NOT NULL,
        digest TEXT NOT NULL,
        pruned_at TEXT NOT NULL,
        oldest_at TEXT,
        newest_at TEXT)""",
    )


TABLES = ("evidence_records", "evidence_anchor")


class EvidenceError(Exception):
    """The store could not be opened, read or written."""


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class EvidenceStore:
    backend = "abstract"
    placeholder = "?"  # the backend's bound-parameter mark in SQL
    save_anchor_sql = ""  # the backend's upsert of the one anchor row (id 1) from seven bound values

    def append(self, run_id: str, run_seq: int, kind: str, host, data) -> Record:
        """Commit one record at the head of the chain and return it (with its seq and hash)."""
        body = canonical(data)
        with self._locked() as tx:
            rec = chained(self._head(tx), run_id, run_seq, kind, host, body)
            self._insert(tx, rec)
        return rec

    def prune(self, older_than_days: int, run_id: str = "prune") -> dict | None:
        """Delete records older than the cutoff (a prefix of the chain) and leave an anchor plus a prune record."""
        cutoff = (datetime.now(UTC) - timedelta(days=older_than_days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self._locked() as tx:
            victims = self._prefix_before(tx, cutoff)
            if not victims:
                return None
            old = self._anchor(tx)
            hashes = ([old.digest] if old else []) + [h for _seq, h, _at in victims]
            anchor = Anchor(
                pruned_through=victims[-1][0],
                last_hash=victims[-1][1],
                count=len(victims) + (old.count if old else 0),
                digest=pruned_digest(hashes),
                pruned_at=utcnow(),
                oldest_at=old.oldest_at if old else victims[0][2],
                newest_at=victims[-1][2],
            )
            self._delete_through(tx, anchor.pruned_through)
            self._save_anchor(tx, anchor)
            head_seq, head_hash = self._head(tx)
            if head_seq == 0:
                head_seq, head_hash = anchor.pruned_through, anchor.last_hash
            body = canonical(dict(anchor.as_dict(), retention_days=older_than_days, pruned_now=len(victims)))
            at = utcnow()
            rec = Record(
                head_seq + 1,
                run_id,
                0,
                "prune",
                None,
                at,
                body,
                head_hash,
                record_hash(head_hash, run_id, 0, "prune", None, at, body),
            )
            self._insert(tx, rec)
        return anchor.as_dict()

    def verify(self, expected_head=None, run_id=None):
        result = verify(self.records, self.anchor(), expected_head)
        if run_id is not None:
            result.runs = 1 if next(iter(self.records(run_id=run_id)), None) is not None else 0
        return result

    def anchor(self) -> Anchor | None:
        with self._reading() as tx:
            return self._anchor(tx)

    def records(self, run_id=None, since=None, until=None, host=None):
        """Stream records in seq order, a page at a time (keyset pagination), so big stores fit in memory."""
        mark = self.placeholder
        clauses, params = [], []
        filters = (
            (f"run_id = {mark}", run_id),
            (f"recorded_at >= {mark}", since),
            (f"recorded_at < {mark}", until),
            (f"host = {mark}", host),
        )
        for clause, value in filters:
            if value is not None:
                clauses.append(clause)
                params.append(value)
        where = "".join(" AND " + clause for clause in clauses)
        query = f"SELECT {COLUMNS} FROM evidence_records WHERE seq > {mark}{where} ORDER BY seq LIMIT {PAGE}"  # noqa: S608 - constant columns and clauses; values are bound
        last = -1
        while True:
            rows = self._page(query, [last, *params])
            for row in rows:
                yield Record(*row)
            if len(rows) < PAGE:
                return
            last = rows[-1][0]

    # --- chain primitives: the same SQL on every backend, with its placeholder ------------------------------
    def _head(self, tx):
        return head_of(tx.execute("SELECT seq, hash FROM evidence_records ORDER BY seq DESC LIMIT 1").fetchone())

    def _insert(self, tx, rec: Record):
        marks = ", ".join([self.placeholder] * 9)
        tx.execute(
            f"INSERT INTO evidence_records ({COLUMNS}) VALUES ({marks})",  # noqa: S608 - constant column list and fixed clauses; values are bound parameters
            (rec.seq, rec.run_id, rec.run_seq, rec.kind, rec.host, rec.recorded_at, rec.body, rec.prev_hash, rec.hash),
        )

    def _prefix_before(self, tx, cutoff):
        # Only a prefix can go: stop at the first record that is still inside the retention period.
        mark = self.placeholder
        first = f"SELECT MIN(seq) FROM evidence_records WHERE recorded_at >= {mark}"  # noqa: S608 - fixed clause; the value is bound
        first_kept = tx.execute(first, (cutoff,)).fetchone()[0]
        query = "SELECT seq, hash, recorded_at FROM evidence_records"
        if first_kept is None:
            rows = tx.execute(query + " ORDER BY seq").fetchall()
        else:
            rows = tx.execute(f"{query} WHERE seq < {mark} ORDER BY seq", (first_kept,)).fetchall()  # noqa: S608 - fixed clause; the value is bound
        return [tuple(row) for row in rows]

    def _delete_through(self, tx, seq):
        tx.execute(f"DELETE FROM evidence_records WHERE seq <= {self.placeholder}", (seq,))  # noqa: S608 - fixed clause; the value is bound

    def _anchor(self, tx):
        row = tx.execute(
            "SELECT pruned_through, last_hash, count, digest, pruned_at, oldest_at, newest_at FROM evidence_anchor WHERE id = 1"
        ).fetchone()
        return Anchor(*row) if row else None

    def _save_anchor(self, tx, anchor: Anchor):
        tx.execute(
            self.save_anchor_sql,
            (
                anchor.pruned_through,
                anchor.last_hash,
                anchor.count,
                anchor.digest,
                anchor.pruned_at,
                anchor.oldest_at,
                anchor.newest_at,
            ),
        )

    def _page(self, query, params):
        """Run one SELECT with bound ``params`` and return its rows."""
        with self._reading() as tx:
            return tx.execute(query, params).fetchall()

    # --- backend primitives: ``tx`` is anything whose ``execute(sql[, params])`` returns a cursor ------------
    @contextmanager
    def _locked(self):
        raise NotImplementedError

    @contextmanager
    def _reading(self):
        raise NotImplementedError

    def close(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def chained(head, run_id, run_seq, kind, host, body) -> Record:
    """The record that follows ``head`` (``(seq, hash)``), stamped now."""
    head_seq, head_hash = head
    recorded_at = utcnow()
    digest = record_hash(head_hash, run_id, run_seq, kind, host, recorded_at, body)
    return Record(head_seq + 1, run_id, run_seq, kind, host, recorded_at, body, head_hash, digest)


def head_of(rows) -> tuple:
    return (rows[0], rows[1]) if rows else (0, GENESIS)
