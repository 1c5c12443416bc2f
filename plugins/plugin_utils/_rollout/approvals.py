# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Approval records of the rollout's waves: who approved, when, for which change.

A wave with ``approval: true`` (by default every wave after the first, ``waves.py``) needs a record before it touches
a host: ``rollout_approvals[<wave>]`` (one per wave) or ``rollout_approval`` (one record for the waves of this run,
what an AWX workflow's approved node hands on). Each record has ``approver``, ``approved_at`` (an ISO 8601 date or
time, not in the future) and ``change_id`` (the run's ``change_id`` when one is given), optionally ``comment``.
Every record is checked before the first wave starts, so a missing or wrong one stops the rollout with nothing
touched; the wave plays record each wave's approval in the evidence (decision ``approval``) before its hosts.
"""

from __future__ import annotations

import datetime as dt

from .waves import WaveError

FIELDS = ("approver", "approved_at", "change_id")
OPTIONAL = ("comment",)
SKEW = dt.timedelta(minutes=5)  # an approval this far ahead of the controller's clock is still taken


def _when(value, where, now):
    """The approval time as aware UTC ISO text; a date means its start (UTC)."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise WaveError(
                f"{where}.approved_at: {value!r} is not an ISO 8601 date or time (2026-12-07T09:30:00Z)"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    moment = moment.astimezone(dt.UTC)
    if moment > now + SKEW:
        raise WaveError(f"{where}.approved_at: {value} is in the future (now {now.isoformat(timespec='seconds')})")
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _record(raw, where, wave, change_id, now):
    if not isinstance(raw, dict):
        raise WaveError(f"{where}: expected a mapping with {', '.join(FIELDS)}, got {str(raw)[:80]!r}")
    unknown = sorted(set(map(str, raw)) - set(FIELDS) - set(OPTIONAL))
    if unknown:
        raise WaveError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS + OPTIONAL)}")
    missing = [field for field in FIELDS if not str(raw.get(field) if raw.get(field) is not None else "").strip()]
    if missing:
        raise WaveError(
            f"wave {wave}: its approval {where} has no {', '.join(missing)} "
            f"(an approval record names {', '.join(FIELDS)}); nothing was touched"
        )
    record = {"approver": str(raw["approver"]).strip(), "change_id": str(raw["change_id"]).strip()}
    record["approved_at"] = _when(raw["approved_at"], where, now)
    if change_id and record["change_id"] != change_id:
        raise WaveError(
            f"{where}.change_id: {record['change_id']} is not this run's change_id {change_id}: "
            "the approval is for another change"
        )
    if raw.get("comment"):
        record["comment"] = str(raw["comment"])
    record["source"] = where
    return record


def check_approvals(waves, approvals=None, approval=None, change_id=None, now=None, known=()):
    """``{wave name: approval record}`` for the waves of this run that need one (``approval: true``).

    ``waves`` are the run's checked waves, ``approvals`` the ``rollout_approvals`` mapping (wave name -> record),
    ``approval`` the ``rollout_approval`` record for every wave of the run, ``known`` every wave name defined (a
    name in ``approvals`` that is none of them is a typo). WaveError names the wave and the missing field."""
    now = now or dt.datetime.now(dt.UTC)
    approvals = approvals or {}
    if not isinstance(approvals, dict):
        raise WaveError(f"rollout_approvals: expected a mapping of wave name to approval record, got {approvals!r}")
    names = set(known) or {wave["name"] for wave in waves}
    strays = sorted(set(map(str, approvals)) - names)
    if strays:
        raise WaveError(f"rollout_approvals: no wave named {', '.join(strays)} (waves: {', '.join(sorted(names))})")
    records = {}
    for wave in waves:
        if not wave.get("approval"):
            continue
        name = wave["name"]
        if name in approvals:
            raw, where = approvals[name], f"rollout_approvals.{name}"
        elif approval:
            raw, where = approval, "rollout_approval"
        else:
            raise WaveError(
                f"wave {name} requires an approval record and has none: give rollout_approvals.{name} or "
                f"rollout_approval with {', '.join(FIELDS)} (or set approval: false on the wave); nothing was touched"
            )
        records[name] = _record(raw, where, name, (change_id or "").strip(), now)
    return records
