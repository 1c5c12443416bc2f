# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compute the change report from evidence records: changes, failures, rollbacks, time-to-patch, success rate."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime

CSV_FIELDS = (
    "recorded_at",
    "run_id",
    "seq",
    "host",
    "kind",
    "status",
    "layer",
    "component",
    "change_kind",
    "before",
    "after",
    "severity",
    "advisories",
    "failed",
    "task",
    "change_ticket",
    "approver",
    "awx_job_id",
)
COMPLIANCE_CSV_FIELDS = (
    "as_of",
    "host",
    "layer",
    "state",
    "last_scan",
    "component",
    "status",
    "severity",
    "cvss",
    "kev",
    "kev_due",
    "epss",
    "tier",
    "rule",
    "first_seen",
    "deadline",
    "exception",
    "advisories",
)


def _parse(ts):
    return datetime.strptime(ts.replace("Z", ""), "%Y-%m-%dT%H:%M:%S.%f") if ts else None


def build(records, verification=None, compliance=None) -> dict:
    """The report as one JSON-able dict (the JSON output, and the input of the CSV and HTML renderers).

    ``compliance`` (governance: plugin_utils/_governance/compliance.py) is carried as is; the HTML shows it first."""
    runs, rows, failures, rollbacks, decisions, withheld = [], [], [], [], [], 0
    first_seen = {}
    for rec in records:
        data = rec.data
        if rec.kind == "run_start":
            runs.append(
                dict(
                    run_id=rec.run_id,
                    started=rec.recorded_at,
                    **{
                        k: data.get(k)
                        for k in ("user", "controller", "playbook", "change_ticket", "approver", "check_mode", "awx")
                    },
                    commit=(data.get("git") or {}).get("commit"),
                    awx_job_id=_awx_job(data.get("awx")),
                )
            )
            continue
        if rec.kind in ("change", "rollback"):
            for item in data.get("pending") or []:
                if isinstance(item, dict):
                    first_seen.setdefault((rec.host, item.get("component")), rec.recorded_at)
            for change in data.get("changes") or []:
                row = _row(rec, data, change)
                rows.append(row)
                if rec.kind == "rollback":
                    rollbacks.append(row)
            if data.get("failed"):
                failures.append(
                    {
                        "recorded_at": rec.recorded_at,
                        "run_id": rec.run_id,
                        "host": rec.host,
                        "kind": "planned change failed" if data.get("simulated") else "change failed",
                        "task": data.get("task"),
                        "msg": data.get("msg"),
                    }
                )
        elif rec.kind in ("failure", "unreachable"):
            failures.append(
                {
                    "recorded_at": rec.recorded_at,
                    "run_id": rec.run_id,
                    "host": rec.host,
                    "kind": rec.kind,
                    "task": data.get("task"),
                    "msg": data.get("msg"),
                    "ignored": data.get("ignored", False),
                }
            )
        elif rec.kind == "decision":
            decisions.append(
                {
                    "recorded_at": rec.recorded_at,
                    "run_id": rec.run_id,
                    "host": rec.host,
                    "task": data.get("task"),
                    "decision": data.get("decision"),
                }
            )
        elif rec.kind == "withheld":
            withheld += 1
    approvals = [_approval(d) for d in decisions if _is_approval(d["decision"])]
    _run_columns(rows, runs, approvals)
    applied = [r for r in rows if r["kind"] == "change" and not r["simulated"]]
    ok = [r for r in applied if not r["failed"]]
    ttp = []
    for row in ok:
        start = first_seen.get((row["host"], row["component"])) or row.get("published")
        if start:
            hours = (_parse(row["recorded_at"]) - _parse(start)).total_seconds() / 3600.0 if "T" in start else None
            if hours is not None and hours >= 0:
                ttp.append(
                    {
                        "host": row["host"],
                        "component": row["component"],
                        "first_seen": start,
                        "patched": row["recorded_at"],
                        "hours": round(hours, 3),
                    }
                )
    hours = sorted(t["hours"] for t in ttp)
    simulated = sum(1 for r in rows if r["simulated"])
    return {
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verification": verification,
        "runs": runs,
        "totals": {
            "changes": len(applied),
            "succeeded": len(ok),
            "failed": len(applied) - len(ok),
            "rollbacks": sum(1 for r in rollbacks if not r["simulated"]),  # a check-mode rollback is a plan
            "failures": len(failures),
            "decisions": len(decisions),
            "withheld": withheld,
            "simulated": simulated,
            "hosts": len({r["host"] for r in applied}),
            "success_rate": round(len(ok) / len(applied), 4) if applied else None,
        },
        "per_layer": _count(applied, "layer"),
        "per_host": _count(applied, "host"),
        "success_per_layer": {
            layer: round(sum(1 for r in applied if r["layer"] == layer and not r["failed"]) / n, 4)
            for layer, n in _count(applied, "layer").items()
        },
        "time_to_patch": {
            "items": ttp,
            "median_hours": hours[len(hours) // 2] if hours else None,
            "max_hours": hours[-1] if hours else None,
        },
        "changes": rows,
        "failures": failures,
        "rollbacks": rollbacks,
        "decisions": decisions,
        "approvals": approvals,
        "waves": _waves(decisions, approvals, compliance),
        **({"compliance": compliance} if compliance is not None else {}),
    }


def _awx_job(awx):
    """The AWX job id of a run_start's ``awx`` block (AWX's extra var, its older tower_ name, or JOB_ID)."""
    awx = awx if isinstance(awx, dict) else {}
    return next((str(awx[k]) for k in ("awx_job_id", "tower_job_id", "job_id") if awx.get(k) not in (None, "")), None)


def _is_approval(decision):
    return isinstance(decision, dict) and decision.get("kind") in ("approval", "approved")


def _approval(item):
    """An approval decision (recorded by everylayer.patch.rollout_decision) as a report row."""
    decision = item["decision"]
    return {
        "recorded_at": item["recorded_at"],
        "run_id": item["run_id"],
        "wave": decision.get("wave"),
        "approver": decision.get("approver") or decision.get("approved_by"),
        "change_id": decision.get("change_id") or decision.get("change_ticket"),
        "approved_at": decision.get("approved_at") or decision.get("when"),
        "source": decision.get("source"),
        "comment": decision.get("comment"),
        "reason": decision.get("reason"),
    }


def _run_columns(rows, runs, approvals):
    """Each change row gets its run's change ticket, approver and AWX job id (a CSV row stands on its own);
    the approver is the run's (extra var), else the approvals recorded in the run."""
    by_run = {run["run_id"]: run for run in runs}
    approvers = defaultdict(list)
    for item in approvals:
        if item["approver"] and item["approver"] not in approvers[item["run_id"]]:
            approvers[item["run_id"]].append(item["approver"])
    for row in rows:
        run = by_run.get(row["run_id"]) or {}
        row["change_ticket"] = run.get("change_ticket") or next(
            (a["change_id"] for a in approvals if a["run_id"] == row["run_id"] and a["change_id"]), None
        )
        row["approver"] = run.get("approver") or (" ".join(approvers[row["run_id"]]) or None)
        row["awx_job_id"] = run.get("awx_job_id")


def _waves(decisions, approvals, compliance):
    """Per wave: its gate decisions (passed or not, why), its approvals, and with a compliance overview the hosts'
    outcomes (one per host and run)."""
    waves = defaultdict(lambda: {"gates": [], "approvals": [], "outcome": None})
    for item in decisions:
        decision = item["decision"]
        if isinstance(decision, dict) and decision.get("kind") == "gate" and decision.get("wave"):
            gate = {k: decision.get(k) for k in ("passed", "reason", "success_rate", "source", "planned_only")}
            waves[str(decision["wave"])]["gates"].append(dict(gate, recorded_at=item["recorded_at"]))
    for item in approvals:
        waves[str(item["wave"])]["approvals"].append(item)
    for wave, counts in ((compliance or {}).get("deployments") or {}).get("per_wave", {}).items():
        waves[str(wave)]["outcome"] = counts
    return {wave: waves[wave] for wave in sorted(waves)}


def _row(rec, data, change):
    return {
        "recorded_at": rec.recorded_at,
        "run_id": rec.run_id,
        "seq": rec.seq,
        "host": rec.host,
        "kind": rec.kind,
        "layer": data.get("layer"),
        "component": change.get("component"),
        "change_kind": change.get("kind"),
        "before": change.get("before"),
        "after": change.get("after"),
        "severity": change.get("severity"),
        "advisories": list(change.get("advisories") or []),
        "published": change.get("published"),
        "failed": bool(data.get("failed")),
        "simulated": bool(data.get("simulated")),
        # what a reader of any format must not confuse: a check-mode forecast is a plan, not an installed change
        "status": _status(rec, data),
        "task": data.get("task"),
    }


def _status(rec, data):
    if data.get("simulated"):
        return "planned"
    if data.get("failed"):
        return "failed"
    return "rolled back" if rec.kind == "rollback" else "applied"


def _count(rows, key):
    counts = Counter(str(r[key]) for r in rows)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def to_json(report) -> str:
    return json.dumps(report, indent=2, sort_keys=True, default=str) + "\n"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (or tab, CR) gets a leading quote.

    OWASP's advice for CSV injection; a number stays a number (negative ones too).
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    text = "'" + text if text.startswith(FORMULA_START) else text
    # a bare CR is no line end to this writer (lineterminator \n), so it would not be quoted: make it one
    return text.replace("\r\n", "\n").replace("\r", "\n")


def to_csv(report) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in report["changes"]:
        flat = dict(row, advisories=" ".join(str(a) for a in row["advisories"] or []))
        writer.writerow({key: cell(flat.get(key)) for key in CSV_FIELDS})
    # Hosts left in an unknown state and runs without their end: a row each, so a CSV reader sees them too.
    for item in report.get("unknown_hosts") or []:
        settled = item.get("reconciled_by")
        flat = {
            "recorded_at": item.get("recorded_at"),
            "run_id": item.get("run_id"),
            "seq": item.get("seq"),
            "host": item.get("host"),
            "kind": f"unknown (reconciled by record {settled})" if settled else "unknown",
            "task": item.get("task"),
            "failed": not settled,
        }
        writer.writerow({key: cell(flat.get(key)) for key in CSV_FIELDS})
    for run in report.get("interrupted_runs") or []:
        flat = {"recorded_at": run.get("started"), "run_id": run.get("run_id"), "kind": "interrupted run"}
        writer.writerow({key: cell(flat.get(key)) for key in CSV_FIELDS})
    return out.getvalue()


def to_compliance_csv(report) -> str:
    """The compliance overview as CSV: one row per pending item of each host and layer (one row with no
    component for a host-layer with nothing pending), with its state, status, tier and deadline."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COMPLIANCE_CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    overview = report.get("compliance") or {}
    for row in overview.get("assets") or []:
        base = {k: row.get(k) for k in ("host", "layer", "state", "last_scan")}
        base["as_of"] = overview.get("as_of")
        for item in row["items"] or [{}]:
            flat = dict(item, **base, advisories=" ".join(str(a) for a in item.get("advisories") or []))
            writer.writerow({key: cell(flat.get(key)) for key in COMPLIANCE_CSV_FIELDS})
    return out.getvalue()


def group_changes(report):
    """{layer: {host: [rows]}} for the HTML page."""
    grouped = defaultdict(lambda: defaultdict(list))
    for row in report["changes"]:
        grouped[str(row["layer"])][str(row["host"])].append(row)
    return grouped
