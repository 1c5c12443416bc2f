# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL backend: one transaction per record, serialised by a transaction-level advisory lock.

Every writer (several controllers, AWX job slices) takes ``pg_advisory_xact_lock(LOCK_KEY)`` before it
reads the head, so appends from many processes form one unbroken global chain. The lock is released at
commit; a writer killed mid-transaction releases it when its session ends.
"""

from __future__ import annotations

from contextlib import contextmanager

from .chain import Anchor, Record, canonical
from .store import COLUMNS, EvidenceError, EvidenceStore, chained, head_of

try:
    import psycopg
except ImportError:  # pragma: no cover - reported when a PostgreSQL store is asked for
    psycopg = None

LOCK_KEY = 0x65766964656E6365  # "evidence"
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS evidence_records (
        seq BIGINT PRIMARY KEY,
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
    """CREATE TABLE IF NOT EXISTS evidence_anchor (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pruned_through BIGINT NOT NULL,
        last_hash TEXT NOT NULL,
        count BIGINT NOT NULL,
        digest TEXT NOT NULL,
        pruned_at TEXT NOT NULL,
        oldest_at TEXT,
        newest_at TEXT)""",
    "REVOKE ALL ON evidence_records, evidence_anchor FROM PUBLIC",
)


class PostgresStore(EvidenceStore):
    backend = "postgresql"
    placeholder = "%s"

    def __init__(self, dsn: str, synchronous: str = "normal", connect_timeout: int = 10, **_ignored):
        if psycopg is None:
            raise EvidenceError(
                "the PostgreSQL evidence store needs the Python package psycopg (pip install 'psycopg[binary]')"
            )
        self.dsn = dsn
        try:
            self._db = psycopg.connect(
                dsn, autocommit=True, connect_timeout=connect_timeout, application_name="everylayer-evidence"
            )
            if str(synchronous).lower() != "full":
                # Committed per record all the same; only the wait for the server's WAL flush is skipped.
                self._db.execute("SET synchronous_commit TO off")
            with self._locked() as cur:
                for statement in SCHEMA:
                    cur.execute(statement)
        except psycopg.Error as exc:
            raise EvidenceError(f"cannot open the PostgreSQL evidence store: {exc}".strip()) from exc

    def append(self, run_id: str, run_seq: int, kind: str, host, data) -> Record:
        """As the base class, in two round trips: (BEGIN, lock, read head) then (INSERT, COMMIT), pipelined."""
        body = canonical(data)
        try:
            with self._db.pipeline(), self._db.transaction():
                self._db.cursor().execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                cur = self._db.cursor()
                rec = chained(self._head(cur), run_id, run_seq, kind, host, body)
                self._insert(cur, rec)
        except psycopg.Error as exc:
            raise EvidenceError(f"cannot write the PostgreSQL evidence store: {exc}".strip()) from exc
        return rec

    @contextmanager
    def _locked(self):
        try:
            with self._db.transaction():
                with self._db.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                    yield cur
        except psycopg.Error as exc:
            raise EvidenceError(f"cannot write the PostgreSQL evidence store: {exc}".strip()) from exc

    @contextmanager
    def _reading(self):
        try:
            with self._db.cursor() as cur:
                yield cur
        except psycopg.Error as exc:
            raise EvidenceError(f"cannot read the PostgreSQL evidence store: {exc}".strip()) from exc

    def _head(self, tx):
        tx.execute("SELECT seq, hash FROM evidence_records ORDER BY seq DESC LIMIT 1")
        return head_of(tx.fetchone())

    def _insert(self, tx, rec: Record):
        tx.execute(
            f"INSERT INTO evidence_records ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",  # noqa: S608 - constant column list and fixed clauses; values are bound parameters
            (rec.seq, rec.run_id, rec.run_seq, rec.kind, rec.host, rec.recorded_at, rec.body, rec.prev_hash, rec.hash),
        )

    def _prefix_before(self, tx, cutoff):
        tx.execute("SELECT MIN(seq) FROM evidence_records WHERE recorded_at >= %s", (cutoff,))
        first_kept = tx.fetchone()[0]
        if first_kept is None:
            tx.execute("SELECT seq, hash, recorded_at FROM evidence_records ORDER BY seq")
        else:
            tx.execute("SELECT seq, hash, recorded_at FROM evidence_records WHERE seq < %s ORDER BY seq", (first_kept,))
        return [tuple(row) for row in tx.fetchall()]

    def _delete_through(self, tx, seq):
        tx.execute("DELETE FROM evidence_records WHERE seq <= %s", (seq,))

    def _anchor(self, tx):
        tx.execute(
            "SELECT pruned_through, last_hash, count, digest, pruned_at, oldest_at, newest_at FROM evidence_anchor WHERE id = 1"
        )
        row = tx.fetchone()
        return Anchor(*row) if row else None

    def _save_anchor(self, tx, anchor: Anchor):
        tx.execute(
            "INSERT INTO evidence_anchor (id, pruned_through, last_hash, count, digest, pruned_at, oldest_at, newest_at) "
            "VALUES (1, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET pruned_through = EXCLUDED.pruned_through, "
            "last_hash = EXCLUDED.last_hash, count = EXCLUDED.count, digest = EXCLUDED.digest, pruned_at = EXCLUDED.pruned_at, "
            "oldest_at = EXCLUDED.oldest_at, newest_at = EXCLUDED.newest_at",
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
        with self._reading() as cur:
            cur.execute(query, params)
            return cur.fetchall()

    def close(self):
        try:
            self._db.close()
        except psycopg.Error:
            pass
