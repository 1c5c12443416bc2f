# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence store option and controller platform shared by evidence_report, evidence_verify and evidence_preflight.

Paired with ``STORE_ARG_SPEC`` in plugins/plugin_utils/_evidence/action_base.py.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  store:
    description:
      - SQLite path, C(postgresql://) URL or libpq DSN, as for the callback's C(store) option.
      - Defaults to the callback's own setting - E(EVERYLAYER_EVIDENCE_STORE), then C(store) in the
        C([everylayer_evidence]) section of ansible.cfg, then C(~/.local/share/everylayer/evidence.sqlite).
      - Opened read-only; a store that does not exist is an error, never created.
    type: str
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
"""
