# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQLite backend: one file, created 0600, WAL journal, one ``BEGIN IMMEDIATE`` transaction per record.

``BEGIN IMMEDIATE`` takes SQLite's single writer lock before the head is read, so several
ansible-playbook processes can append to one file and still form one unbroken chain.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager

from .chain import Anchor, Record
from .store import COLUMNS, EvidenceError, EvidenceStore, head_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS evidence_records (
    seq INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    run_seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    host TEXT,
    recorded_at TEXT NOT NULL,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS evidence_records_run ON evidence_records (run_id);
CREATE INDEX IF NOT EXISTS evidence_records_at ON evidence_records (recorded_at);
CREATE TABLE IF NOT EXISTS evidence_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pruned_through INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    count INTEGER NOT NULL,
    digest TEXT NOT NULL,
    pruned_at TEXT NOT NULL,
    oldest_at TEXT,
    newest_at TEXT
);
"""


class SQLiteStore(EvidenceStore):
    backend = "sqlite"

    def __init__(self, path: str, synchronous: str = "normal", timeout: float = 60.0):
        self.path = os.path.abspath(os.path.expanduser(path))
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            # Create the file owner-only before SQLite opens it; the -wal and -shm files inherit nothing,
            # so the umask below covers them.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
            old_umask = os.umask(0o077)
            try:
                self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(f"PRAGMA synchronous={'FULL' if str(synchronous).lower() == 'full' else 'NORMAL'}")
                self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
                self._db.executescript(SCHEMA)
            finally:
                os.umask(old_umask)
        except (OSError, sqlite3.Error) as exc:
            raise EvidenceError(f"cannot open the SQLite evidence store {self.path}: {exc}") from exc

    @contextmanager
    def _locked(self):
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise EvidenceError(f"cannot write the SQLite evidence store {self.path}: {exc}") from exc

    @contextmanager
    def _reading(self):
        try:
            yield self._db
        except sqlite3.Error as exc:
            raise EvidenceError(f"cannot read the SQLite evidence store {self.path}: {exc}") from exc

    def _head(self, tx):
        return head_of(tx.execute("SELECT seq, hash FROM evidence_records ORDER BY seq DESC LIMIT 1").fetchone())

    def _insert(self, tx, rec: Record):
        tx.execute(
            f"INSERT INTO evidence_records ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 - constant column list and fixed clauses; values are bound parameters
            (rec.seq, rec.run_id, rec.run_seq, rec.kind, rec.host, rec.recorded_at, rec.body, rec.prev_hash, rec.hash),
        )

    def _prefix_before(self, tx, cutoff):
        # Only a prefix can go: stop at the first record that is still inside the retention period.
        first_kept = tx.execute("SELECT MIN(seq) FROM evidence_records WHERE recorded_at >= ?", (cutoff,)).fetchone()[0]
        query = "SELECT seq, hash, recorded_at FROM evidence_records"
        rows = tx.execute(
            query + (" WHERE seq < ?" if first_kept is not None else "") + " ORDER BY seq",
            (first_kept,) if first_kept is not None else (),
        ).fetchall()
        return [tuple(row) for row in rows]

    def _delete_through(self, tx, seq):
        tx.execute("DELETE FROM evidence_records WHERE seq <= ?", (seq,))

    def _anchor(self, tx):
        row = tx.execute(
            "SELECT pruned_through, last_hash, count, digest, pruned_at, oldest_at, newest_at FROM evidence_anchor WHERE id = 1"
        ).fetchone()
        return Anchor(*row) if row else None

    def _save_anchor(self, tx, anchor: Anchor):
        tx.execute(
            "INSERT OR REPLACE INTO evidence_anchor (id, pruned_through, last_hash, count, digest, pruned_at, oldest_at, newest_at)"
            " VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
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
        with self._reading() as db:
            return db.execute(query, params).fetchall()

    def close(self):
        try:
            self._db.close()
        except sqlite3.Error:
            pass
