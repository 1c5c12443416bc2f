"""The attack of issue 18: edit a record (approver alice -> mallory) and recompute the whole hash chain.

Usage: python evidence_rewrite.py STORE [OLD NEW]   (STORE: a SQLite path or a postgresql:// DSN)
Written as an attacker with write access to the database would, with the standard drivers only: it uses
nothing of the collection but the published hash formula (docs/evidence.md, "What is recorded").
"""

import hashlib
import json
import sqlite3
import sys


def _hash(prev, run_id, run_seq, kind, host, at, body):
    material = json.dumps([prev, run_id, int(run_seq), kind, host, at, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def rewrite(store, old="alice", new="mallory"):
    if store.startswith(("postgresql://", "postgres://")):
        import psycopg

        conn, mark = psycopg.connect(store, autocommit=False), "%s"
    else:
        conn, mark = sqlite3.connect(store), "?"
    cur = conn.cursor()
    cur.execute("SELECT seq, run_id, run_seq, kind, host, recorded_at, body FROM evidence_records ORDER BY seq")
    prev, edited = "0" * 64, 0
    for seq, run_id, run_seq, kind, host, at, stored in cur.fetchall():
        body = stored.replace(f'"{old}"', f'"{new}"')
        edited += body != stored
        digest = _hash(prev, run_id, run_seq, kind, host, at, body)
        sql = f"UPDATE evidence_records SET body = {mark}, prev_hash = {mark}, hash = {mark} WHERE seq = {mark}"
        cur.execute(sql, (body, prev, digest, seq))
        prev = digest
    conn.commit()
    conn.close()
    return edited


if __name__ == "__main__":
    print(f"records edited: {rewrite(*sys.argv[1:])}")
