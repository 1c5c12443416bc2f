# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Firmware layer: a Redfish client and backend (BMC UpdateService) and an fwupd backend."""

from __future__ import annotations
