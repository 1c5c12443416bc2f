# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The user-facing options of windows_updates (the action plugin's; the .ps1 takes the internal ones)."""

from __future__ import annotations

from .selection import DEFAULT_CATEGORIES, MSRC_SEVERITIES

ARGUMENT_SPEC = {
    "state": {"type": "str", "default": "patched", "choices": ["scanned", "downloaded", "patched", "rolled_back"]},
    "category_names": {"type": "list", "elements": "str", "default": list(DEFAULT_CATEGORIES)},
    "min_severity": {"type": "str", "choices": list(MSRC_SEVERITIES)},
    "security_only": {"type": "bool", "default": False},
    "accept_list": {"type": "list", "elements": "str", "default": []},
    "reject_list": {"type": "list", "elements": "str", "default": []},
    "deferral_days": {"type": "int", "default": 0},
    "update_ids": {"type": "list", "elements": "str", "default": []},
    "server_selection": {
        "type": "str",
        "default": "default",
        "choices": ["default", "managed_server", "windows_update"],
    },
    "reboot": {"type": "bool", "default": False},
    "reboot_timeout": {"type": "int", "default": 1200},
    "max_rounds": {"type": "int", "default": 3},
    "kbs": {"type": "list", "elements": "str", "default": []},
    "rollback": {"type": "dict"},
}
REQUIRED_IF = [("state", "rolled_back", ("kbs", "rollback"), True)]
MUTUALLY_EXCLUSIVE = [("kbs", "rollback")]


class RollbackError(ValueError):
    """The rollback option is not a windows_updates rollback block; the message names the field."""


def rollback_kbs(block):
    """(kbs, KB -> package identity) of a change record's rollback block (strategy kb, manager windows_update).

    A block with strategy ``none`` (nothing was installed) gives no KBs.
    """
    if not isinstance(block, dict) or block.get("strategy") not in ("kb", "none"):
        raise RollbackError(
            f"rollback: expected the rollback block of a windows_updates change record (strategy kb), "
            f"got strategy {(block or {}).get('strategy') if isinstance(block, dict) else type(block).__name__!r}"
        )
    if block["strategy"] == "none":
        return [], {}
    data = block.get("data")
    if not isinstance(data, dict) or data.get("manager") != "windows_update":
        raise RollbackError("rollback.data.manager: expected windows_update (a windows_updates change record)")
    kbs = data.get("kbs")
    if not isinstance(kbs, list) or not all(isinstance(k, str) and k for k in kbs):
        raise RollbackError(f"rollback.data.kbs: expected a list of KB ids, got {str(kbs)[:80]!r}")
    updates = data.get("updates")
    updates = {} if updates is None else updates
    if not isinstance(updates, dict):
        raise RollbackError(f"rollback.data.updates: expected a mapping of KB to update, got {str(updates)[:80]!r}")
    identities = {kb: (entry or {}).get("package_identity") for kb, entry in updates.items() if isinstance(entry, dict)}
    return list(kbs), {kb: ident for kb, ident in identities.items() if ident}
