# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The rollout's gate between two waves: one decision from the wave's host outcomes.

The outcomes come from the evidence (``_evidence/gate.py``: what the callback recorded for this run) or, when no
evidence callback records, from the play (each host's ``rollout_outcome``). Either way this module decides.
"""

from __future__ import annotations

# outcomes that count as tried; `unknown` (an intent without an outcome) counts as failed
ATTEMPTED = ("patched", "rolled_back", "failed", "unknown", "unchanged")
FAILED = ("failed", "unknown")


def play_outcomes(hosts, hostvars):
    """host -> outcome from the play's own facts (no evidence): `pending` or nothing is `untouched`."""
    found = {}
    for host in hosts:
        outcome = (hostvars.get(host) or {}).get("rollout_outcome") or "untouched"
        found[host] = "untouched" if outcome == "pending" else str(outcome)
    return found


def decide(wave, outcomes, min_success, open_rollbacks=(), source="evidence", allow_empty=False, check_mode=False):
    """The gate decision (a mapping recorded in the evidence) after ``wave``.

    Passes when the success rate (patched / attempted) reaches ``min_success``, no host failed without a rollback
    (or ended unknown), and no rollback is left open. A wave with no attempted host fails (nothing was tested:
    every host deferred, untouched or unreachable before its patch) unless ``allow_empty``; in check mode the
    planned hosts stand for the attempted ones.
    """
    counts = {}
    for value in outcomes.values():
        counts[value] = counts.get(value, 0) + 1
    for name in ("patched", "rolled_back", "failed", "unchanged", "deferred", "planned", "untouched"):
        counts.setdefault(name, 0)
    attempted = sum(counts.get(name, 0) for name in ATTEMPTED)
    rate = round(counts["patched"] / attempted, 3) if attempted else 1.0
    hosts_open = [item.get("host") for item in open_rollbacks or ()]
    reasons = []
    if counts.get("failed"):
        reasons.append(
            f"{counts['failed']} host(s) failed without rollback: {', '.join(_hosts(outcomes, ('failed',)))}"
        )
    if counts.get("unknown"):
        reasons.append(
            f"{counts['unknown']} host(s) in an unknown state (a patch task started and reported no outcome: "
            f"unreachable or interrupted, counted as failed): {', '.join(_hosts(outcomes, ('unknown',)))}"
        )
    if attempted and rate < min_success:
        reasons.append(f"success rate {rate} below {min_success}")
    if hosts_open:
        reasons.append(f"open rollbacks from earlier runs on {', '.join(map(str, hosts_open))}")
    if not attempted and not (check_mode and counts["planned"]) and not allow_empty:
        reasons.append(
            f"no host of the wave was attempted ({len(outcomes)} host(s): "
            f"{_summary(counts) or 'none'}); nothing was tested (rollout_allow_empty: true accepts it)"
        )
    return {
        "kind": "gate",
        "wave": wave,
        "source": source,
        "passed": not reasons,
        "success_rate": rate,
        "min_success": min_success,
        "attempted": attempted,
        "counts": counts,
        "open_rollbacks": list(open_rollbacks or ()),
        "reason": "; ".join(reasons) if reasons else None,
        "planned_only": bool(check_mode),
    }


class DecisionError(ValueError):
    """A decision the rollout cannot record as asked."""


def host_decision(kind, wave, host=None, reason=None, change_record=None, details=None):
    """A decision to record (``everylayer.patch.rollout_decision``).

    A ``rolled_back`` decision needs the change record that was undone; one that lists no change is recorded as
    ``unchanged``: nothing was changed, so nothing was rolled back (the host failed before its first change).
    """
    decision = {"kind": kind, "wave": wave}
    if host is not None:
        decision["host"] = host
    if kind == "rolled_back":
        if change_record is None:
            raise DecisionError("kind=rolled_back needs the change_record that was rolled back")
        if not change_record.get("changes"):
            decision["kind"] = "unchanged"
            decision["note"] = "the failed change record lists no change: recorded as unchanged, not rolled back"
    if reason is not None:
        decision["reason"] = reason
    clash = sorted(set(details or {}) & set(decision))
    if clash:
        raise DecisionError(f"details may not set {', '.join(clash)}")
    decision.update(details or {})
    return decision


def message(decision):
    summary = _summary(decision["counts"])
    if decision["passed"]:
        return f"gate after wave {decision['wave']} passed ({decision['source']}): {summary}"
    return f"gate after wave {decision['wave']} failed: {decision['reason']} ({summary}); the rollout stops here"


def _hosts(outcomes, values):
    return sorted(host for host, value in outcomes.items() if value in values)


def _summary(counts):
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()) if count)
