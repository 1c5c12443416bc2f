# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The change record of windows_updates: layer ``windows``, kind ``update``, component = KB, rollback ``kb``."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.module_utils._change import change, diff, record, rollback

MANAGER = "windows_update"


def _kb(update: dict) -> str:
    kbs = update.get("kb") or []
    return kbs[0] if kbs else update["id"]


def update_change(update: dict, *, removed: bool = False) -> dict:
    """One change: installing (before null, after = update id) or removing (before = id, after null) a KB."""
    version = f"{update['id']}.{update.get('revision', 0)}" if update.get("revision") is not None else update["id"]
    advisories = [*update.get("kb", []), *update.get("cves", [])]
    return change(
        _kb(update),
        "update",
        version if removed else None,
        None if removed else version,
        advisories=advisories,
        severity=update.get("msrc_severity"),
        reboot_required=update.get("reboot_behavior", "never") != "never" or bool(update.get("reboot_required")),
        details={
            "id": update["id"],
            "title": update.get("title"),
            "categories": update.get("categories", []),
            # what a governance baseline decides on (docs/governance.md): the delay's classification, the MSRC
            # word and the day its age counts from
            "classification": update.get("classification") or classification_of(update.get("categories")),
            "msrc_severity": update.get("msrc_severity"),
            "release_date": update.get("release_date"),
        },
    )


#: the Windows Update classifications (WSUS UpdateClassification categories); a search names them among its products
CLASSIFICATIONS = (
    "Critical Updates",
    "Definition Updates",
    "Drivers",
    "Feature Packs",
    "Security Updates",
    "Service Packs",
    "Tools",
    "Update Rollups",
    "Updates",
    "Upgrades",
)


def classification_of(categories) -> str | None:
    """The classification among an update's categories (a module older than its ``classification`` field)."""
    known = {name.lower(): name for name in CLASSIFICATIONS}
    return next((known[str(c).lower()] for c in categories or () if str(c).lower() in known), None)


def rollback_block(installed: list[dict]) -> dict:
    """How to undo the installs: the KBs WUA uninstalls (method ``wua``) or, when WUA will not (IsUninstallable
    false: combined cumulative updates), DISM removes by their package identity (method ``dism``); the others named
    as not uninstallable."""
    if not installed:
        return rollback("none")
    can = [u for u in installed if u.get("uninstallable") or u.get("package_identity")]
    cannot = [u for u in installed if u not in can]
    return rollback(
        "kb",
        {
            "manager": MANAGER,
            "kbs": [_kb(u) for u in can],
            "updates": {
                _kb(u): {
                    "id": u["id"],
                    "package_identity": u.get("package_identity"),
                    "method": "wua" if u.get("uninstallable") else "dism",
                }
                for u in can
            },
            "not_uninstallable": [_kb(u) for u in cannot],
        },
    )


def identities_of(rollback_data: dict) -> dict:
    """KB -> package identity of a rollback block's ``data.updates`` (what DISM may remove)."""
    updates = (rollback_data or {}).get("updates") or {}
    return {kb: entry.get("package_identity") for kb, entry in updates.items() if isinstance(entry, dict)}


def build(
    changes: list[dict], pending: list[dict], reboot_required: bool, rollback_data: dict, *, simulated: bool
) -> dict:
    result = record(
        "windows",
        changes,
        pending=pending,
        reboot_required=reboot_required,
        rollback=rollback_data,
        simulated=simulated,
    )
    result["diff"] = diff(changes, header="Windows updates")
    result["manager"] = MANAGER  # as an OS record names its package manager (the scan report's manager column)
    return result
