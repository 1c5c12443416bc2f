# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the evidence_verify and evidence_report action plugins do, without Ansible around it."""

from __future__ import annotations

import os

from . import html, report
from .store import open_store

STORE_ENV = "EVERYLAYER_EVIDENCE_STORE"


def resolve_store(store):
    return store or os.environ.get(STORE_ENV) or None


def verify_store(store=None, expected_head=None, run_id=None) -> dict:
    with open_store(resolve_store(store)) as db:
        result = db.verify(expected_head=expected_head, run_id=run_id).as_dict()
        result["backend"] = db.backend
    result["verified"] = result["ok"]
    return result


def write_report(dest, formats, store=None, run_id=None, since=None, until=None, title=None) -> dict:
    """Verify the whole chain, build the report for the selected records, write one file per format."""
    with open_store(resolve_store(store)) as db:
        verification = db.verify().as_dict()
        records = list(db.records(run_id=run_id, since=since, until=until))
    data = report.build(
        records, verification={k: verification[k] for k in ("ok", "summary", "records", "head", "problems")}
    )
    dest = os.path.abspath(os.path.expanduser(dest))
    os.makedirs(dest, mode=0o700, exist_ok=True)
    stem = "evidence-report" + (f"-{run_id}" if run_id else "")
    renderers = {
        "json": report.to_json,
        "csv": report.to_csv,
        "html": lambda d: html.render(d, title or "everylayer.patch change evidence"),
    }
    paths = {}
    for fmt in formats:
        path = os.path.join(dest, f"{stem}.{fmt}")
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(renderers[fmt](data))
        os.replace(path + ".tmp", path)
        paths[fmt] = path
    return {"paths": paths, "totals": data["totals"], "verification": data["verification"], "records": len(records)}
