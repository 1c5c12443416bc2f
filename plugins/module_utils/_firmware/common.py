# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""What both firmware backends share: the domain error and version ordering."""

from __future__ import annotations

import re


class FirmwareError(Exception):
    """A firmware operation failed; the message says what and how to fix it. ``details`` go into the result."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.details = details


def version_key(version):
    """Sort key for firmware versions: numeric parts compare as numbers ("1.10" > "1.9"), others as text."""
    parts = []
    for piece in re.split(r"[.\-_+]", str(version or "")):
        if piece.isdigit():
            parts.append((0, int(piece), ""))
        elif piece:
            parts.append((1, 0, piece))
    return tuple(parts)


def compare_versions(left, right):
    """-1, 0 or 1 as ``left`` is older than, equal to or newer than ``right``."""
    a, b = version_key(left), version_key(right)
    return (a > b) - (a < b)
