# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Pure functions that read ``fwupdmgr ... --json`` output (fwupd 1.9 and 2.x)."""

from __future__ import annotations

import json

from .common import compare_versions

# FwupdError codes (libfwupd fwupd-error.h) that mean "nothing to do" rather than a failure.
VERSION_SAME = 2
NOTHING_TO_DO = 9
NOT_FOUND = 8
NOT_SUPPORTED = 10
NO_CHANGE_CODES = (VERSION_SAME, NOTHING_TO_DO)
# fwupdmgr exits 2 when there is nothing to do (e.g. get-updates without updates).
RC_NOTHING_TO_DO = 2


def loads(text):
    """Parse fwupdmgr's JSON; it may print progress text before it, so start at the first '{'."""
    text = text or ""
    start = text.find("{")
    if start < 0:
        return {}
    try:
        data = json.loads(text[start:])
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def error(data):
    """The ``Error`` object of a failed call -> {code, domain, message}, or None."""
    err = data.get("Error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        return None
    return {"code": err.get("Code"), "domain": err.get("Domain"), "message": err.get("Message") or ""}


def is_nothing_to_do(rc, err):
    return rc == RC_NOTHING_TO_DO or bool(err and err["domain"] == "FwupdError" and err["code"] in NO_CHANGE_CODES)


def release(body):
    flags = list(body.get("Flags") or [])
    locations = body.get("Locations") or body.get("Uri") or []
    if isinstance(locations, str):
        locations = [locations]
    return {
        "version": body.get("Version"),
        "name": body.get("Name"),
        "remote": body.get("RemoteId"),
        "filename": body.get("Filename"),
        "location": locations[0] if locations else None,
        "checksum": (body.get("Checksum") or [None])[0],
        "flags": flags,
        "is_upgrade": "is-upgrade" in flags,
        "is_downgrade": "is-downgrade" in flags,
        "urgency": body.get("Urgency"),
        "issues": list(body.get("Issues") or []),
    }


def device(body):
    flags = list(body.get("Flags") or [])
    return {
        "id": body.get("DeviceId"),
        "name": body.get("Name"),
        "version": body.get("Version"),
        "version_lowest": body.get("VersionLowest"),
        "version_format": body.get("VersionFormat"),
        "plugin": body.get("Plugin"),
        "vendor": body.get("Vendor"),
        "guids": list(body.get("Guid") or []),
        "flags": flags,
        "updatable": "updatable" in flags,
        "needs_reboot": "needs-reboot" in flags,
        "update_state": body.get("UpdateState"),
        "releases": [release(r) for r in body.get("Releases") or []],
    }


def devices(data):
    return [device(d) for d in data.get("Devices") or [] if d.get("DeviceId")]


def releases(data):
    return [release(r) for r in data.get("Releases") or []]


def latest(releases_list):
    """The newest release that is an upgrade, or None."""
    ups = [r for r in releases_list if r["version"] and (r["is_upgrade"] or not r["flags"])]
    best = None
    for rel in ups:
        if best is None or compare_versions(rel["version"], best["version"]) > 0:
            best = rel
    return best


def history(data):
    """get-history -> one entry per device: the version it came from, went to, state and time."""
    entries = []
    for dev in data.get("Devices") or []:
        rels = dev.get("Releases") or []
        entries.append(
            {
                "device_id": dev.get("DeviceId"),
                "name": dev.get("Name"),
                "from_version": dev.get("Version"),
                "to_version": rels[0].get("Version") if rels else None,
                "update_state": dev.get("UpdateState"),
                "update_error": dev.get("UpdateError"),
                "modified": dev.get("Modified"),
            }
        )
    return entries


def matches(dev, wanted):
    """A device is named by its DeviceId (or a unique prefix), a GUID or its exact name."""
    return (
        wanted == dev["id"]
        or (len(wanted) >= 8 and dev["id"].startswith(wanted))
        or wanted in dev["guids"]
        or wanted == dev["name"]
    )
