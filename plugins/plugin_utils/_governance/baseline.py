# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Baselines: which ranked updates a rollout may install now, and why the others wait.

Per update, in this order (the first that applies decides): an exception covers it -> ``excepted``; a reject
pattern -> ``rejected``; an approve pattern -> ``approved``; the expedite rule (KEV, zero-day, EPSS/CVSS minimum)
-> ``approved`` without the delay; otherwise ``approved`` once the update is ``approve_after_days`` old for its
classification or severity, else ``waiting`` until that date. No baseline for the asset -> ``waiting``."""

from __future__ import annotations

from datetime import timedelta
from fnmatch import fnmatchcase

from .common import to_date, today
from .risk import _matches


def _pattern(patterns, item):
    """The first pattern that matches the component or one of the advisory ids as a whole (glob, full match)."""
    names = [item["component"], *item["advisories"]]
    return next((p for p in patterns or [] if any(fnmatchcase(str(n), str(p)) for n in names)), None)


def _released(item):
    """The date the update's age counts from: its publication if known, else when it was first seen pending."""
    if item.get("published"):
        return to_date(item["published"], "published", item["component"]), "published"
    return to_date(item["first_seen"], "first_seen", item["component"]), "first seen pending"


def _delay(delays, item):
    """(key, days) of the update's delay: its classification, else its vendor's severity word (MSRC: critical,
    important, moderate, low), else its severity, else ``unknown``; keys compare case-insensitively."""
    by_key = {str(key).lower(): (key, days) for key, days in delays.items()}
    for name in (item.get("classification"), item.get("vendor_severity"), item.get("severity") or "unknown"):
        if name and str(name).lower() in by_key:
            return by_key[str(name).lower()]
    return by_key.get("unknown", ("unknown", None))


def decide(item, baseline, exceptions=None, now=None):
    """``{"decision", "reason", ...}`` for one ranked item (see risk.rank_item) under one baseline."""
    day = today(now)
    out = {k: item.get(k) for k in ("asset", "component", "layer", "advisories", "severity", "tier", "deadline")}
    exc = exceptions.match(item.get("asset"), item["component"], item["advisories"]) if exceptions else None
    if exc:
        return dict(
            out,
            decision="excepted",
            reason=f"exception {exc['id']} until {exc['expires'].isoformat()}: "
            f"{exc['reason']} (owner {exc['owner']}, approved by {exc['approver']})",
            exception=exc["id"],
        )
    if baseline is None:
        return dict(
            out,
            decision="waiting",
            reason=f"no baseline matches layer {item.get('layer')} platform "
            f"{item.get('platform')}: nothing is approved without one",
        )
    pattern = _pattern(baseline.get("reject"), item)
    if pattern:
        return dict(out, decision="rejected", reason=f"baseline {baseline['name']}: reject pattern {pattern!r}")
    pattern = _pattern(baseline.get("approve"), item)
    if pattern:
        return dict(out, decision="approved", reason=f"baseline {baseline['name']}: approve pattern {pattern!r}")
    expedite = baseline.get("expedite") or {}
    if expedite and any(_matches({key: value}, item) for key, value in expedite.items()):
        why = ", ".join(
            f"KEV {' '.join(item['kev_cves'])}" if k == "kev" else "zero-day" if k == "zero_day" else f"{k} {v}"
            for k, v in expedite.items()
            if _matches({k: v}, item)
        )
        return dict(
            out, decision="approved", expedited=True, reason=f"baseline {baseline['name']}: expedited ({why}), no delay"
        )
    key, days = _delay(baseline.get("approve_after_days") or {}, item)
    if days is None:
        return dict(out, decision="waiting", reason=f"baseline {baseline['name']}: no approve_after_days for {key}")
    released, since = _released(item)
    approves_on = released + timedelta(days=days)
    if day >= approves_on:
        return dict(
            out,
            decision="approved",
            reason=f"baseline {baseline['name']}: {key} approved after {days} days ({since} {released.isoformat()})",
        )
    return dict(
        out,
        decision="waiting",
        approves_on=approves_on.isoformat(),
        reason=f"baseline {baseline['name']}: {key} approved after {days} days ({since}"
        f" {released.isoformat()}), waits until {approves_on.isoformat()}",
    )


def evaluate(ranked, policy, exceptions=None, now=None):
    """``{"approved": [...], "waiting": [...], "rejected": [...], "excepted": [...], "expiring": [...]}``.

    ``ranked`` is risk.rank()'s output for one asset (or its ``items``). Expired exceptions raise first."""
    items = ranked.get("items") if isinstance(ranked, dict) else ranked
    if exceptions is not None:
        exceptions.check(now)
    out = {"approved": [], "waiting": [], "rejected": [], "excepted": []}
    for item in items or []:
        baseline = policy.baseline_for(item.get("layer"), item.get("platform"), item.get("asset"))
        result = decide(item, baseline, exceptions, now)
        out[result["decision"]].append(result)
    out["expiring"] = exceptions.expiring(policy["exceptions_expiring_days"], now) if exceptions else []
    out["install"] = [r["component"] for r in out["approved"]]
    return out
