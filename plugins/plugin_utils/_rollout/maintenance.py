# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Maintenance windows and blackouts: may this host be patched now?

A policy is a mapping::

    windows:
      always: {always: true}
      weeknights: {days: [mon, tue, wed, thu, fri], start: "22:00", end: "04:00", timezone: Europe/Paris}
    blackouts:
      - {name: year-end freeze, start: "2026-12-20T00:00:00+00:00", end: "2027-01-05T00:00:00+00:00", groups: [prod]}

A window that ends before it starts runs past midnight; its day is the day it starts.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PolicyError(ValueError):
    """The window policy is malformed; the message names the field."""


def _clock(value: str, where: str) -> dt.time:
    try:
        hours, minutes = str(value).split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise PolicyError(f"{where}: expected a time as HH:MM, got {value!r}") from None


def _instant(value, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise PolicyError(f"{where}: expected an ISO 8601 date-time, got {value!r}") from None
    if moment.tzinfo is None:
        raise PolicyError(f"{where}: {value!r} has no time zone offset")
    return moment


def in_window(window: dict, name: str, now: dt.datetime) -> bool:
    """Whether ``now`` (aware) falls inside ``window``."""
    if window.get("always"):
        return True
    where = f"windows.{name}"
    try:
        zone = ZoneInfo(window.get("timezone", "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(f"{where}.timezone: unknown time zone {window.get('timezone')!r}") from None
    days = [str(d).lower()[:3] for d in window.get("days", DAYS)]
    bad = [d for d in days if d not in DAYS]
    if bad:
        raise PolicyError(f"{where}.days: unknown day(s) {', '.join(bad)}; use {', '.join(DAYS)}")
    start = _clock(window.get("start", "00:00"), f"{where}.start")
    end = _clock(window.get("end", "23:59"), f"{where}.end")
    local = now.astimezone(zone)
    for offset in (0, -1):  # a window that started yesterday may still be open
        day = local.date() + dt.timedelta(days=offset)
        if DAYS[day.weekday()] not in days:
            continue
        opens = dt.datetime.combine(day, start, tzinfo=zone)
        closes = dt.datetime.combine(day, end, tzinfo=zone)
        if closes <= opens:
            closes += dt.timedelta(days=1)
        if opens <= local < closes:
            return True
    return False


def decide(window_name, policy: dict, now, groups=()) -> dict:
    """Return ``{"allowed": bool, "reason": str}`` for a host in ``window_name`` and ``groups`` at ``now``."""
    policy = policy or {}
    now = _instant(now, "now") if now is not None else dt.datetime.now(dt.UTC)
    for index, blackout in enumerate(policy.get("blackouts") or []):
        where = f"blackouts[{index}]"
        start = _instant(blackout.get("start"), f"{where}.start")
        end = _instant(blackout.get("end"), f"{where}.end")
        scope = blackout.get("groups")
        if start <= now < end and (not scope or set(scope) & set(groups)):
            return {"allowed": False, "reason": f"blackout {blackout.get('name', index)!s} until {end.isoformat()}"}
    if not window_name:
        return {"allowed": True, "reason": "no maintenance window set"}
    windows = policy.get("windows") or {}
    if window_name not in windows:
        if window_name == "always":
            return {"allowed": True, "reason": "window always"}
        known = ", ".join(sorted(windows)) or "none"
        raise PolicyError(f"maintenance window {window_name!r} is not defined in the policy (defined: {known})")
    if in_window(windows[window_name], window_name, now):
        return {"allowed": True, "reason": f"inside window {window_name}"}
    return {"allowed": False, "reason": f"outside window {window_name}"}
