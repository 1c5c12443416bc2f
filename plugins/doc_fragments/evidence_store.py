# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence store option and controller platform shared by evidence_report and evidence_verify.

Paired with ``STORE_ARG_SPEC`` in plugins/plugin_utils/_evidence/action_base.py.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  store:
    description:
      - SQLite path, C(postgresql://) URL or libpq DSN, as for the callback's C(store) option.
      - Defaults to E(EVERYLAYER_EVIDENCE_STORE), then to C(~/.local/share/everylayer/evidence.sqlite).
    type: str
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
"""
