# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write-ahead evidence read back: intents without an outcome, runs without an end, and their reconciliation.

The callback writes an ``intent`` record before a patch task reaches a host and closes it with the task's
outcome (a ``change``, ``rollback``, ``failure``, ``withheld`` or ``outcome`` record carrying the same
``task_uuid``; per-item records of a loop carry ``item`` and do not close it). An ``unreachable`` record does not
close it either: a host lost after the task reached it may have changed (dnf goes on upgrading without its ssh
session), so its state stays unknown until a scan reconciles it. Every run of this
format (``run_start`` with ``evidence_format`` >= 2) ends with a ``run_end`` record. A later scan of a host
whose intent stayed open writes a ``reconcile`` record: what the host runs now, and what changed outside
the evidence. Pure functions over ``store.Record`` objects.
"""

from __future__ import annotations

FORMAT = 2  # evidence_format of runs that write intents and run_end records
CLOSING_KINDS = ("change", "rollback", "failure", "withheld", "outcome")


def open_intents(records, exclude_runs=()):
    """``[(intent Record)]`` whose task never reported an outcome, in chain order."""
    pending = {}
    for rec in records:
        if rec.run_id in exclude_runs:
            continue
        data = rec.data if isinstance(rec.data, dict) else {}
        uuid = data.get("task_uuid")
        if not uuid:
            continue
        key = (rec.run_id, rec.host, uuid)
        if rec.kind == "intent":
            pending[key] = rec
        elif rec.kind in CLOSING_KINDS and data.get("item") is None:
            pending.pop(key, None)
    return sorted(pending.values(), key=lambda rec: rec.seq)


def reconciled(records):
    """``{(run_id, host, task_uuid): reconcile Record}`` for every intent a later scan reconciled."""
    found = {}
    for rec in records:
        if rec.kind != "reconcile":
            continue
        for ref in (rec.data or {}).get("reconciles") or []:
            found[(ref.get("run_id"), rec.host, ref.get("task_uuid"))] = rec
    return found


def runs_state(records, current_run=None):
    """Each run of the write-ahead format: started, ended, its open intents, and whether a scan settled them.

    One pass over ``records`` (a store's stream: only the open intents and the runs are kept in memory).
    Returns ``{run_id: {"run_id", "started", "first_seq", "ended", "open": [intent dicts], "settled": bool}}`` in
    chain order; ``current_run`` (still running) is left out.
    """
    runs, ends, pending, done = {}, set(), {}, {}
    for rec in records:
        kind = rec.kind
        if kind == "run_start":
            if int((rec.data or {}).get("evidence_format") or 1) >= FORMAT and rec.run_id != current_run:
                runs[rec.run_id] = {"run_id": rec.run_id, "started": rec.recorded_at, "first_seq": rec.seq}
        elif kind == "run_end":
            ends.add(rec.run_id)
        elif kind == "intent" and rec.run_id in runs:
            data = rec.data
            if data.get("task_uuid"):
                pending[(rec.run_id, rec.host, data["task_uuid"])] = (rec, data)
        elif kind in CLOSING_KINDS and pending:
            data = rec.data
            if data.get("task_uuid") and data.get("item") is None:
                pending.pop((rec.run_id, rec.host, data["task_uuid"]), None)
        elif kind == "reconcile":
            data = rec.data or {}
            for ref in data.get("reconciles") or []:
                done[(ref.get("run_id"), rec.host, ref.get("task_uuid"))] = (rec.seq, data.get("changed_outside"))
    for state in runs.values():
        state.update(ended=state["run_id"] in ends, open=[])
    for key, (rec, data) in sorted(pending.items(), key=lambda item: item[1][0].seq):
        seq, changed = done.get(key, (None, None))
        runs[rec.run_id]["open"].append(
            {
                "host": rec.host,
                "seq": rec.seq,
                "task": data.get("task"),
                "task_uuid": data.get("task_uuid"),
                "recorded_at": rec.recorded_at,
                "reconciled_by": seq,
                "changed_outside": changed,
            }
        )
    for state in runs.values():
        state["settled"] = bool(state["open"]) and all(item["reconciled_by"] for item in state["open"])
    return runs


def reconcile_entry(host_records, host, scan_pending):
    """The ``reconcile`` record body for a scan of ``host``, or None when no intent of an earlier run is open.

    ``host_records`` are the host's records (every run, oldest first) before the scan; ``scan_pending`` the
    scan's ``pending`` list: the updates still available now. An update pending before the interrupted task
    and gone now was applied outside the evidence.
    """
    done = reconciled(host_records)
    todo = [
        rec
        for rec in open_intents(host_records)
        if rec.host == host and (rec.run_id, host, rec.data.get("task_uuid")) not in done
    ]
    if not todo:
        return None
    first = todo[0].seq
    before = None
    for rec in host_records:
        if rec.seq >= first:
            break
        data = rec.data if isinstance(rec.data, dict) else {}
        if rec.host == host and isinstance(data.get("pending"), list) and not data.get("item"):
            before = data["pending"]
    now = {_component(p) for p in scan_pending or [] if _component(p)}
    entry = {
        "reconciles": [
            {"run_id": rec.run_id, "task_uuid": rec.data.get("task_uuid"), "seq": rec.seq, "task": rec.data.get("task")}
            for rec in todo
        ],
        "pending_now": sorted(now),
    }
    if before is None:
        entry["changed_outside"] = None
        entry["note"] = "no scan of this host before the interrupted task: what changed is unknown"
    else:
        entry["changed_outside"] = [
            {"component": _component(p), "before": p.get("before"), "after": p.get("after")}
            for p in before
            if isinstance(p, dict) and _component(p) and _component(p) not in now
        ]
    return entry


def _component(item):
    if isinstance(item, dict):
        return item.get("component") or item.get("name")
    return str(item) if item else None
