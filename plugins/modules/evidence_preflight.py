#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: evidence_preflight
short_description: Refuse to go on when this run's change evidence is not being recorded
version_added: 1.1.0
description:
  - Checks that the P(everylayer.patch.evidence#callback) callback is recording this very run, into the store that
    every evidence reader (the gate lookups, M(everylayer.patch.evidence_verify), M(everylayer.patch.evidence_report))
    will open, and fails naming the cause when it is not, before any host is touched.
  - The causes it names - the callback is not enabled or failed to load; the callback could not open or write its
    store (with O(everylayer.patch.evidence#callback:on_error=warn)); the callback writes another store than the
    configured one; the store has no C(run_start) record of this run; the SQLite file is not writable.
  - A bad callback option (a typo in C(on_error), a C(retention_days) that is not a number) never gets this far -
    the callback ends ansible-playbook when it loads.
  - Runs on the controller (action plugin); reads the store read-only.
author:
  - everylayer.patch contributors (@everylayer)
options:
  required:
    description:
      - Fail when evidence is not recorded. V(false) reports RV(recording) and RV(cause) and goes on.
    type: bool
    default: true
extends_documentation_fragment:
  - everylayer.patch.evidence_store
  - everylayer.patch.evidence_store.read_only
seealso:
  - module: everylayer.patch.evidence_verify
"""

EXAMPLES = r"""
- name: Refuse to patch without evidence
  everylayer.patch.evidence_preflight:
  run_once: true
  register: evidence

- name: Use the run id for the manifest
  ansible.builtin.debug:
    msg: "manifest of run {{ evidence.run_id }}"
"""

RETURN = r"""
recording:
  description: True when the callback records this run into the configured store.
  returned: always
  type: bool
run_id:
  description:
    - The run id the callback records under (the extra var C(everylayer_run_id) when given); null without the callback.
  returned: always
  type: str
store:
  description: The store checked, with any password in a URL or DSN replaced by C(********).
  returned: always
  type: str
backend:
  description: C(sqlite) or C(postgresql).
  returned: when recording
  type: str
cause:
  description: Why evidence is not recorded; null when it is.
  returned: always
  type: str
"""
