# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""What a rollout gate reads from the evidence: each host's outcome in a run, and rollbacks left open.

Pure functions over evidence records (``store.Record``); the lookup plugin ``evidence_gate`` opens the store.
"""

from __future__ import annotations

from .intents import open_intents

OUTCOMES = ("patched", "rolled_back", "failed", "unknown", "unchanged", "deferred", "planned", "untouched")


def host_outcomes(records, hosts):
    """host -> one of OUTCOMES for the records of one run, in chain order.

    A successful rollback (its record, or the rollout's ``rolled_back`` decision) wins over the failure that
    caused it; a failed change, a failed rollback, or a failure after a change is ``failed`` (changed and not
    restored); a failed task or an unreachable host with no change recorded, or a host the rollout verified still
    runs its old version (an ``unchanged`` decision), is ``unchanged``; a change record that
    did not fail is ``patched`` (an empty change list means the host was already compliant); a check-mode record
    is ``planned``; a host outside its window is ``deferred``. A host with an ``intent`` record whose task never
    reported an outcome (the controller died mid-task) is ``unknown``, unless the rollout settled it by a decision.
    """
    records = list(records)
    found = dict.fromkeys(hosts, "untouched")
    touched, settled = set(), set()
    for rec in records:
        host, data = rec.host, rec.data if isinstance(rec.data, dict) else {}
        if rec.kind == "decision":
            decision = data.get("decision") or {}
            host = decision.get("host", host)
            if host in found and decision.get("kind") in ("rolled_back", "deferred", "unchanged"):
                found[host] = decision["kind"]
                settled.add(
                    host
                )  # the rollout's own verdict: later failure records (its final `fail`) do not change it
            continue
        if host not in found or host in settled:
            continue
        if rec.kind == "rollback":
            found[host] = "failed" if data.get("failed") else "rolled_back"
            if not data.get("failed"):
                settled.add(host)
        elif rec.kind == "change":
            if data.get("scan"):  # a scan reads the host: it is not an attempt to patch it
                if data.get("failed"):
                    found[host] = "failed" if host in touched else "unchanged"
                continue
            if not data.get("simulated"):
                touched.add(host)
            if data.get("failed"):
                found[host] = "failed"
            elif data.get("simulated"):
                found[host] = "planned" if found[host] == "untouched" else found[host]
            elif found[host] in ("untouched", "planned"):
                found[host] = "patched"
        elif rec.kind in ("failure", "unreachable") and not data.get("ignored"):
            found[host] = "failed" if host in touched else "unchanged"
    for rec in open_intents(records):
        if rec.host in found and rec.host not in settled:
            found[rec.host] = "unknown"
    return found


def open_rollbacks(records, hosts=None):
    """Rollbacks that failed and were not followed by a successful rollback or change on that host.

    ``records`` may span many runs (oldest first); returns one entry per host, oldest first.
    """
    open_by_host = {}
    for rec in records:
        if rec.kind not in ("rollback", "change") or (hosts is not None and rec.host not in hosts):
            continue
        data = rec.data if isinstance(rec.data, dict) else {}
        if data.get("simulated"):
            continue
        if rec.kind == "rollback" and data.get("failed"):
            open_by_host[rec.host] = {
                "host": rec.host,
                "run_id": rec.run_id,
                "seq": rec.seq,
                "recorded_at": rec.recorded_at,
                "msg": data.get("msg") or "",
            }
        elif not data.get("failed"):
            open_by_host.pop(rec.host, None)
    return sorted(open_by_host.values(), key=lambda item: item["seq"])


def gate_view(run_records, all_records, hosts, scope=None):
    """The gate's whole input: outcomes and counts of ``hosts`` in the run, open rollbacks of ``scope`` (or hosts)."""
    outcomes = host_outcomes(run_records, hosts)
    counts = {name: sum(1 for value in outcomes.values() if value == name) for name in OUTCOMES}
    counts["failed"] += counts["unknown"]  # a gate counts a host in an unknown state as failed
    attempted = counts["patched"] + counts["rolled_back"] + counts["failed"] + counts["unchanged"]
    return {
        "outcomes": outcomes,
        "counts": counts,
        "success_rate": round(counts["patched"] / attempted, 3) if attempted else 1.0,
        "open_rollbacks": open_rollbacks(all_records, set(scope or hosts)),
    }
