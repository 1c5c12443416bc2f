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

from .chain import Record, canonical
from .redact import redact_text
from .store import TABLES, EvidenceError, EvidenceStore, chained, schema

try:
    import psycopg
except ImportError:  # pragma: no cover - reported when a PostgreSQL store is asked for
    psycopg = None

LOCK_KEY = 0x65766964656E6365  # "evidence"
SCHEMA = (*schema("BIGINT"), "REVOKE ALL ON evidence_records, evidence_anchor FROM PUBLIC")


class PostgresStore(EvidenceStore):
    backend = "postgresql"
    placeholder = "%s"
    save_anchor_sql = (
        "INSERT INTO evidence_anchor (id, pruned_through, last_hash, count, digest, pruned_at, oldest_at, newest_at) "
        "VALUES (1, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET pruned_through = EXCLUDED.pruned_through, "
        "last_hash = EXCLUDED.last_hash, count = EXCLUDED.count, digest = EXCLUDED.digest, pruned_at = EXCLUDED.pruned_at, "
        "oldest_at = EXCLUDED.oldest_at, newest_at = EXCLUDED.newest_at"
    )

    def __init__(
        self, dsn: str, synchronous: str = "normal", connect_timeout: int = 10, readonly: bool = False, **_ignored
    ):
        if psycopg is None:
            raise EvidenceError(
                "the PostgreSQL evidence store needs the Python package psycopg (pip install 'psycopg[binary]')"
            )
        self.dsn = dsn
        self.readonly = readonly
        try:
            self._db = psycopg.connect(
                dsn, autocommit=True, connect_timeout=connect_timeout, application_name="everylayer-evidence"
            )
            if readonly:
                self._check_readonly()
                return
            if str(synchronous).lower() != "full":
                # Committed per record all the same; only the wait for the server's WAL flush is skipped.
                self._db.execute("SET synchronous_commit TO off")
            with self._locked() as cur:
                for statement in SCHEMA:
                    cur.execute(statement)
        except psycopg.Error as exc:
            raise EvidenceError(redact_text(f"cannot open the PostgreSQL evidence store: {exc}".strip())) from exc

    def _check_readonly(self):
        # Every transaction of this session is read-only: the server refuses any write, DDL included.
        self._db.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        found = self._db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ANY (current_schemas(false))"
        ).fetchall()
        missing = [name for name in TABLES if name not in {row[0] for row in found}]
        if missing:
            self.close()
            raise EvidenceError(
                f"the PostgreSQL evidence store has no table {', '.join(missing)}: not an evidence store, or the "
                "table was dropped (nothing is re-created)"
            )

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
            raise EvidenceError(redact_text(f"cannot write the PostgreSQL evidence store: {exc}".strip())) from exc
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

    def close(self):
        try:
            self._db.close()
        except psycopg.Error:
            pass
