# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence store option: once for the modules that read the store (evidence_report, evidence_verify and
evidence_preflight), paired with ``STORE_ARG_SPEC`` in plugins/plugin_utils/_evidence/action_base.py; once for the
lookups (evidence_gate, evidence_changes: ``everylayer.patch.evidence_store.lookup``), read from the environment and
ansible.cfg like the callback's own option. ``everylayer.patch.evidence_store.read_only``: the check and diff
mode of a module that only reads the store (evidence_verify, evidence_preflight).
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

    LOOKUP = r"""
options:
  store:
    description:
      - The evidence store, a SQLite path or a PostgreSQL DSN, read the way the callback reads it -
        E(EVERYLAYER_EVIDENCE_STORE), C(store) in the C([everylayer_evidence]) section of ansible.cfg, then the
        callback's default.
      - Opened read-only; a store that does not exist is an error.
    type: str
    env:
      - name: EVERYLAYER_EVIDENCE_STORE
    ini:
      - section: everylayer_evidence
        key: store
"""

    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    description: Only reads the store.
  diff_mode:
    support: none
    description: Nothing changes.
"""
