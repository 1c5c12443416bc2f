# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The groups an asset belongs to, computed in Python (no Jinja per host)."""

from __future__ import annotations

import re

from .record import platform_keys

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def safe_name(text):
    """Group-name-safe form of a value: lower case, anything but letters, digits and ``_`` becomes ``_``."""
    return _UNSAFE.sub("_", str(text).strip().lower())


def asset_groups(record):
    """``layer_<x>``, ``platform_<x>``, ``criticality_<x>``, ``wave_<x>``, ``window_<name>`` for one record."""
    names = [f"layer_{layer}" for layer in record.get("layers", ())]
    names.extend(f"platform_{safe_name(key)}" for key in platform_keys(record.get("platform") or {}))
    if record.get("criticality"):
        names.append(f"criticality_{record['criticality']}")
    if record.get("wave"):
        names.append(f"wave_{record['wave']}")
    if record.get("maintenance_window"):
        names.append(f"window_{safe_name(record['maintenance_window'])}")
    return names
