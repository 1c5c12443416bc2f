# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Open an evidence store by its target: the one place that knows the backends.

It lives apart from ``store.py`` (the base class every backend imports) so that the base class never imports
its backends: no import circle between ``store.py`` and ``sqlite_store.py`` / ``postgres_store.py``.
"""

from __future__ import annotations

from .postgres_store import PostgresStore
from .sqlite_store import SQLiteStore
from .store import DEFAULT_SQLITE_PATH, EvidenceStore


def open_store(target: str | None = None, readonly: bool = False, **kwargs) -> EvidenceStore:
    """``postgresql://...`` (or ``postgres://``, or a ``key=value`` DSN) opens PostgreSQL; anything else is a SQLite path.

    ``readonly`` (every reader: verify, report, lookups, preflight) never creates, migrates or writes the store,
    and fails on a store that does not exist or lacks a table.
    """
    target = target or DEFAULT_SQLITE_PATH
    if readonly:
        kwargs["readonly"] = True
    if target.startswith(("postgresql://", "postgres://")) or ("=" in target and "dbname" in target):
        return PostgresStore(target, **kwargs)
    if target.startswith("sqlite://"):
        target = target[len("sqlite://") :]
    return SQLiteStore(target, **kwargs)
