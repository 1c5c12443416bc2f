# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side network image runbook: platforms, parsers, netmiko session, runbook."""

from __future__ import annotations


class NetworkImageError(Exception):
    """A runbook step failed; the message says what and how to fix it. ``details`` joins the result."""

    def __init__(self, msg: str, **details: object) -> None:
        super().__init__(msg)
        self.details = details
