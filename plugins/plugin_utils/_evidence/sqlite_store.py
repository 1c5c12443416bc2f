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
import urllib.parse
from contextlib import contextmanager

from .store import TABLES, EvidenceError, EvidenceStore, schema

SCHEMA = schema("INTEGER")  # INTEGER PRIMARY KEY: seq is the rowid


class SQLiteStore(EvidenceStore):
    backend = "sqlite"
    save_anchor_sql = (
        "INSERT OR REPLACE INTO evidence_anchor (id, pruned_through, last_hash, count, digest, pruned_at, oldest_at, newest_at)"
        " VALUES (1, ?, ?, ?, ?, ?, ?, ?)"
    )

    def __init__(self, path: str, synchronous: str = "normal", timeout: float = 60.0, readonly: bool = False):
        self.path = os.path.abspath(os.path.expanduser(path))
        self.readonly = readonly
        if readonly:
            self._open_readonly(timeout)
            return
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
                for statement in SCHEMA:
                    self._db.execute(statement)
            finally:
                os.umask(old_umask)
        except (OSError, sqlite3.Error) as exc:
            raise EvidenceError(f"cannot open the SQLite evidence store {self.path}: {exc}") from exc

    def _open_readonly(self, timeout):
        if not os.path.isfile(self.path):
            raise EvidenceError(
                f"no SQLite evidence store at {self.path}: the file does not exist (nothing is created)"
            )
        try:
            uri = "file:" + urllib.parse.quote(self.path) + "?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            rows = self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        except sqlite3.Error as exc:
            raise EvidenceError(f"cannot open the SQLite evidence store {self.path} read-only: {exc}") from exc
        missing = [name for name in TABLES if name not in {row[0] for row in rows}]
        if missing:
            self.close()
            raise EvidenceError(
                f"the SQLite evidence store {self.path} has no table {', '.join(missing)}: not an evidence store, "
                "or the table was dropped (nothing is re-created)"
            )

    @contextmanager
    def _locked(self):
        if self.readonly:
            raise EvidenceError(f"the SQLite evidence store {self.path} is open read-only")
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

    def close(self):
        try:
            self._db.close()
        except sqlite3.Error:
            pass
