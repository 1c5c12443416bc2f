# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compliance and metrics from the evidence store's records (read only; the store's schema is the evidence's).

Scans (change records with ``scan: true``) say what each host/layer had pending and since when; applied changes
say when it was fixed. docs/governance.md defines every state and metric computed here."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from .common import today
from .risk import rank_item

STATES = ("compliant", "due_soon", "overdue", "excepted", "unknown")


def _day(stamp):
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()


def _hours(start, end):
    a = datetime.fromisoformat(start.replace("Z", "+00:00"))
    b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    return (b - a).total_seconds() / 3600.0


def _p90(values):
    """The 90th percentile by the nearest-rank method (the smallest value with >= 90% of values at or below)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


class _State:
    """What the records say per (host, layer): the latest scan, what is pending now and since when."""

    def __init__(self):
        self.last_scan = {}  # (host, layer) -> recorded_at
        self.pending = {}  # (host, layer) -> {component: entry}
        self.first_seen = {}  # (host, layer, component) -> recorded_at
        self.fixed = []  # [{host, layer, component, first_seen, fixed, entry}]
        self.runs = {}  # (run_id, host) -> {"wave", "applied", "failed", "rolled_back"}

    def scan(self, rec, data):
        key = (rec.host, data.get("layer"))
        entries = {e["component"]: e for e in data.get("pending") or [] if isinstance(e, dict) and e.get("component")}
        for component in list(self.pending.get(key, {})):
            if component not in entries:  # gone without a recorded patch: no longer pending, no clock running
                self.first_seen.pop((*key, component), None)
        for component in entries:
            self.first_seen.setdefault((*key, component), rec.recorded_at)
        self.pending[key] = entries
        self.last_scan[key] = rec.recorded_at

    def applied(self, rec, data):
        key = (rec.host, data.get("layer"))
        for change in data.get("changes") or []:
            component = change.get("component")
            entry = self.pending.get(key, {}).pop(component, None)
            start = self.first_seen.pop((*key, component), None)
            if start or change.get("published") or (entry or {}).get("published") or change.get("advisories"):
                # no scan saw it pending: only the time from the advisory's publication can be measured
                self.fixed.append(
                    {
                        "host": rec.host,
                        "layer": key[1],
                        "component": component,
                        "first_seen": start,
                        "fixed": rec.recorded_at,
                        "entry": entry or change,
                    }
                )

    def run(self, rec, data, waves, host=None):
        host = host or rec.host
        run = self.runs.setdefault(
            (rec.run_id, host),
            {"wave": (waves or {}).get(host), "applied": False, "failed": False, "rolled_back": False},
        )
        if data.get("wave"):
            run["wave"] = data["wave"]
        return run


def _replay(records, waves):
    state = _State()
    for rec in records:
        decision = rec.data.get("decision") if rec.kind == "decision" else None
        if isinstance(decision, dict) and decision.get("host") and decision.get("wave"):
            # a host's decision in a rollout (planned with a baseline, deferred, rolled back...) names its wave,
            # which wins over the asset map's: the rollout's waves need not be the map's
            state.run(rec, decision, waves, host=decision["host"])
            continue
        if not rec.host or rec.kind not in ("change", "rollback", "failure", "unreachable"):
            continue
        data = rec.data
        if rec.kind == "change" and data.get("scan"):
            if not data.get("simulated") and not data.get("failed") and data.get("layer"):
                state.scan(rec, data)
            continue
        if data.get("simulated"):
            continue  # a check-mode forecast (a planned change or rollback) is no deployment
        run = state.run(rec, data, waves)
        if rec.kind == "rollback":
            run["rolled_back"] = True
        elif rec.kind == "unreachable" or (rec.kind == "failure" and not data.get("ignored")):
            run["failed"] = True
        elif data.get("failed"):
            run["failed"] = True
        elif data.get("changes"):
            run["applied"] = True
            state.applied(rec, data)
    return state


def pending_since(records, host, layer=None):
    """``{component: "YYYY-MM-DD"}``: since when each update still pending on ``host`` was first seen pending
    (by the scans in ``records``), the start of its SLA clock for risk_rank's ``first_seen``."""
    state = _replay([r for r in records if r.host == host], None)
    return {
        component: _day(state.first_seen[(h, lay, component)]).isoformat()
        for (h, lay), entries in state.pending.items()
        if layer is None or lay == layer
        for component in entries
        if (h, lay, component) in state.first_seen
    }


def compliance(records, policy, intel=None, assets=None, exceptions=None, now=None, waves=None, trend=True):
    """The compliance overview and metrics (a JSON-able dict) from evidence records, as of ``now``.

    An expired exception is an error (exceptions.check), as everywhere. ``trend``: the summary as of each day a
    scan was recorded, from the records up to that day."""
    day = today(now)
    records = list(records)
    if exceptions is not None and trend:
        exceptions.check(now)
    assets = assets or {}
    waves = waves or {host: (a or {}).get("wave") for host, a in assets.items()}  # the asset map's wave
    state = _replay(records, waves)
    rows = []
    keys = set(state.last_scan) | {(h, layer) for h, a in assets.items() for layer in (a or {}).get("layers") or ()}
    for host, layer in sorted(keys, key=lambda k: (str(k[0]), str(k[1]))):
        asset = dict(assets.get(host) or {}, name=host)
        scanned = state.last_scan.get((host, layer))
        row = {"host": host, "layer": layer, "last_scan": scanned, "items": [], "overdue_by_tier": {}}
        if scanned is None or (day - _day(scanned)).days > policy["unknown_after_days"]:
            rows.append(dict(row, state="unknown"))
            continue
        worst = "compliant"
        for component, entry in sorted(state.pending.get((host, layer), {}).items()):
            first = state.first_seen.get((host, layer, component))
            item = rank_item(entry, asset, intel, policy, layer, now, first and _day(first))
            exc = exceptions.match(host, component, item["advisories"], day) if exceptions else None
            deadline = datetime.fromisoformat(item["deadline"]).date()
            status = (
                "excepted"
                if exc
                else "overdue"
                if day > deadline
                else "due_soon"
                if (deadline - day).days <= policy["due_soon_days"]
                else "compliant"
            )
            row["items"].append(dict(item, status=status, exception=exc and exc["id"]))
            if status == "overdue":
                row["overdue_by_tier"][item["tier"]] = row["overdue_by_tier"].get(item["tier"], 0) + 1
            order = ("compliant", "excepted", "due_soon", "overdue")
            worst = max(worst, status, key=order.index)
        rows.append(dict(row, state=worst))
    return {
        "as_of": day.isoformat(),
        "assets": rows,
        "summary": _summary(rows),
        "trend": _trend(records, policy, intel, assets, exceptions, waves, day) if trend else [],
        "remediation": _remediation(state.fixed, assets, intel, policy, now),
        "deployments": _deployments(state.runs),
        "exceptions_expiring": exceptions.expiring(policy["exceptions_expiring_days"], now) if exceptions else [],
    }


def _trend(records, policy, intel, assets, exceptions, waves, day):
    """``[{date, compliance_rate, overdue, kev_exposure}]`` as of the end of each day a scan was recorded."""
    days = sorted({_day(r.recorded_at) for r in records if r.kind == "change" and r.data.get("scan")})
    points = []
    for when in [d for d in days if d <= day]:
        upto = [r for r in records if _day(r.recorded_at) <= when]
        summary = compliance(upto, policy, intel, assets, exceptions, when, waves, trend=False)["summary"]
        points.append(
            {
                "date": when.isoformat(),
                "compliance_rate": summary["compliance_rate"],
                "overdue": summary["counts"]["overdue"],
                "kev_exposure": summary["kev_exposure"],
            }
        )
    return points


def _rate(counts, total):
    good = counts["compliant"] + counts["due_soon"] + counts["excepted"]
    return round(good / total, 4) if total else None


def _summary(rows):
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in STATES}
    per_layer = {}
    for layer in sorted({str(r["layer"]) for r in rows}):
        mine = [r for r in rows if str(r["layer"]) == layer]
        layer_counts = {s: sum(1 for r in mine if r["state"] == s) for s in STATES}
        per_layer[layer] = {
            "counts": layer_counts,
            "total": len(mine),
            "compliance_rate": _rate(layer_counts, len(mine)),
        }
    overdue_by_tier = {}
    for row in rows:
        for tier, n in row["overdue_by_tier"].items():
            overdue_by_tier[tier] = overdue_by_tier.get(tier, 0) + n
    kev = sorted(
        {(r["host"], i["component"]) for r in rows for i in r["items"] if i["kev"] and i["status"] != "excepted"}
    )
    return {
        "counts": counts,
        "total": len(rows),
        "compliance_rate": _rate(counts, len(rows)),
        "per_layer": per_layer,
        "overdue_by_tier": dict(sorted(overdue_by_tier.items())),
        "kev_exposure": len(kev),
        "kev_open": [f"{h}:{c}" for h, c in kev],
    }


def _stats(values):
    return {"count": len(values), "mean_days": round(sum(values) / len(values), 3), "p90_days": round(_p90(values), 3)}


def _since_published(published, fixed):
    """Days from the advisory's publication (a date or timestamp) to the fix, or None when unknown or later."""
    if not published:
        return None
    text = str(published)
    start = text if "T" in text else f"{text[:10]}T00:00:00Z"
    try:
        days = _hours(start, fixed) / 24.0
    except ValueError:
        return None
    return days if days >= 0 else None


def _remediation(fixed, assets, intel, policy, now):
    per_severity, from_published, met, missed = {}, {}, 0, 0
    items = []
    for fix in fixed:
        asset = dict(assets.get(fix["host"]) or {}, name=fix["host"])
        first = _day(fix["first_seen"]) if fix["first_seen"] else None
        item = rank_item(fix["entry"], asset, intel, policy, fix["layer"], now, first or _day(fix["fixed"]))
        published = _since_published(item["published"], fix["fixed"])
        if published is not None:
            from_published.setdefault(item["severity"], []).append(published)
        row = {k: fix[k] for k in ("host", "layer", "component", "first_seen", "fixed")} | {
            "severity": item["severity"],
            "tier": item["tier"],
            "sla_days": item["sla_days"],
            "published": item["published"],
            "days_since_published": None if published is None else round(published, 3),
        }
        if first is None:  # fixed before any scan saw it: no first-seen clock, no SLA verdict
            if published is not None:
                items.append(row | {"days": None, "within_sla": None})
            continue
        days = _hours(fix["first_seen"], fix["fixed"]) / 24.0
        within = _day(fix["fixed"]) <= first + timedelta(days=item["sla_days"])
        met, missed = met + within, missed + (not within)
        per_severity.setdefault(item["severity"], []).append(days)
        items.append(row | {"days": round(days, 3), "within_sla": within})
    return {
        "per_severity": {sev: _stats(v) for sev, v in sorted(per_severity.items())},
        "from_published": {sev: _stats(v) for sev, v in sorted(from_published.items())},
        "sla_attainment": round(met / (met + missed), 4) if met + missed else None,
        "within_sla": met,
        "missed_sla": missed,
        "items": items,
    }


def _deployments(runs):
    """Per host and run one outcome: rolled_back (counted once, whatever failed before it), failed, succeeded."""
    per_wave, per_host = {}, {}
    for (_run_id, host), run in sorted(runs.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        outcome = (
            "rolled_back"
            if run["rolled_back"]
            else "failed"
            if run["failed"]
            else ("succeeded" if run["applied"] else None)
        )
        if outcome is None:
            continue
        wave = str(run["wave"] or "unknown")
        for table, key in ((per_wave, wave), (per_host, host)):
            counts = table.setdefault(key, {"succeeded": 0, "failed": 0, "rolled_back": 0})
            counts[outcome] += 1
    for table in (per_wave, per_host):
        for counts in table.values():
            total = sum(counts.values())
            counts["hosts" if table is per_wave else "runs"] = total
            counts["success_rate"] = round(counts["succeeded"] / total, 4)
    total = {k: sum(c[k] for c in per_host.values()) for k in ("succeeded", "failed", "rolled_back")}
    n = sum(total.values())
    return {
        "per_wave": per_wave,
        "per_host": per_host,
        "totals": total,
        "success_rate": round(total["succeeded"] / n, 4) if n else None,
    }
