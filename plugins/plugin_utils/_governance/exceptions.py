# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions: accepted risks with an owner, an approver and an expiry. An expired or unapproved exception is an
error naming its file and line, never a silent skip: someone must renew it or remove it."""

from __future__ import annotations

from datetime import timedelta
from fnmatch import fnmatchcase

from .common import GovernanceError, load_yaml, to_date, today

REQUIRED = ("id", "reason", "owner", "approver", "expires")
SCOPES = ("assets", "advisories", "packages")
KNOWN = set(REQUIRED) | set(SCOPES) | {"approved", "ticket"}


class Exceptions:
    def __init__(self, entries=(), where=None):
        self.entries = list(entries)
        self._where = where or _where_in_list

    def check(self, now=None):
        """Raise on the first expired exception; the caller decides when (before any decision is made)."""
        day = today(now)
        for index, entry in enumerate(self.entries):
            if entry["expires"] < day:
                raise GovernanceError(
                    f"exceptions: {self._where(index, 'expires')}: exception {entry['id']} expired on"
                    f" {entry['expires'].isoformat()} (field exceptions[{index}].expires, owner {entry['owner']}):"
                    " renew it with a new approval or remove it"
                )
        return self

    def match(self, asset, component, advisories, day=None):
        """The first exception covering this asset's update (every scope it names must match), or None.

        With ``day``, only exceptions not expired by then count (a compliance trend looks at past days)."""
        for entry in self.entries:
            if day is not None and entry["expires"] < day:
                continue
            if entry["assets"] and not any(fnmatchcase(str(asset), p) for p in entry["assets"]):
                continue
            if entry["packages"] and not any(fnmatchcase(str(component), p) for p in entry["packages"]):
                continue
            if entry["advisories"] and not any(fnmatchcase(str(a), p) for a in advisories for p in entry["advisories"]):
                continue
            return entry
        return None

    def expiring(self, days, now=None):
        """``[{id, owner, expires, days_left}]`` of exceptions expiring within ``days`` days, soonest first."""
        day = today(now)
        soon = [e for e in self.entries if day <= e["expires"] <= day + timedelta(days=days)]
        return [
            {
                "id": e["id"],
                "owner": e["owner"],
                "expires": e["expires"].isoformat(),
                "days_left": (e["expires"] - day).days,
            }
            for e in sorted(soon, key=lambda e: e["expires"])
        ]


def _entry(raw, index, where):
    if not isinstance(raw, dict):
        raise GovernanceError(f"exceptions: {where(index)}: exceptions[{index}] must be a mapping")
    for key in raw:
        if key not in KNOWN:
            raise GovernanceError(f"exceptions: {where(index, key)}: exceptions[{index}].{key}: unknown key")
    name = raw.get("id") or f"exceptions[{index}]"
    if not str(raw.get("approver") or "").strip():
        raise GovernanceError(
            f"exceptions: {where(index, 'approver')}: exception {name} has no approver (field"
            f" exceptions[{index}].approver): an unapproved exception is not honoured"
        )
    for key in REQUIRED:
        if not str(raw.get(key) or "").strip():
            raise GovernanceError(
                f"exceptions: {where(index, key)}: exception {name} needs {key} (field exceptions[{index}].{key})"
            )
    entry = {key: raw[key] for key in ("id", "reason", "owner", "approver")}
    entry["expires"] = to_date(raw["expires"], "expires", f"exceptions: {where(index, 'expires')}: {name}")
    entry["approved"] = str(raw["approved"]) if raw.get("approved") else None
    for scope in SCOPES:
        value = raw.get(scope) or []
        if not isinstance(value, list):
            raise GovernanceError(f"exceptions: {where(index, scope)}: {name}: {scope} must be a list of patterns")
        entry[scope] = [str(v) for v in value]
    if not any(entry[s] for s in SCOPES):
        raise GovernanceError(f"exceptions: {where(index)}: exception {name} names no assets, advisories or packages")
    return entry


def _where_in_list(*keys):
    return f"exceptions[{keys[0]}]" if keys else "exceptions"


def load_exceptions(path=None, data=None) -> Exceptions:
    """Exceptions of a YAML file (``exceptions:`` list) or of a list (e.g. an asset-map field)."""
    if path:
        source = load_yaml(path, "exceptions")
        raw = source.data.get("exceptions")

        def where(*keys):
            return source.where("exceptions", *keys)

        if not isinstance(raw, list):
            raise GovernanceError(f"exceptions: {source.where('exceptions')}: needs a list 'exceptions'")
    else:
        raw = data or []
        where = _where_in_list
        if not isinstance(raw, list):
            raise GovernanceError("exceptions: must be a list of exceptions")
    entries = [_entry(item, index, where) for index, item in enumerate(raw)]
    seen = set()
    for index, entry in enumerate(entries):
        if entry["id"] in seen:
            raise GovernanceError(f"exceptions: {where(index)}: exception id {entry['id']} is used twice")
        seen.add(entry["id"])
    return Exceptions(entries, where)
