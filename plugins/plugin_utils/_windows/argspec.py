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
}
REQUIRED_IF = [("state", "rolled_back", ("kbs",))]
