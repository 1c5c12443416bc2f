# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IOS-XE install mode (the device boots flash:packages.conf): staged, upgraded and rolled_back."""

from __future__ import annotations


def handlers(runbook) -> dict:
    return {}
