# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: evidence_changes
short_description: Read the change records of a run from the evidence store
version_added: 0.1.0
author:
  - everylayer.patch contributors (@everylayer)
description:
  - Returns the change records (C(layer), C(changes), C(rollback)) that the P(everylayer.patch.evidence#callback)
    callback stored for the given run ids, oldest first, so that a play can undo a run's changes on a host.
  - Only real changes are returned - records written in check mode, records without changes and records whose
    rollback strategy is C(none) are left out. Records of failed tasks are kept, since a partial change needs undoing.
options:
  _terms:
    description: Run ids, as printed in the evidence receipt (C(EVIDENCE run=...)).
    required: true
    type: list
    elements: str
  host:
    description: Only the records of this inventory host.
    type: str
extends_documentation_fragment:
  - everylayer.patch.evidence_store.lookup
"""

EXAMPLES = r"""
- name: Undo run 2026-11-23T10-00-00Z-ab12 on this host, newest change first
  ansible.builtin.include_role:
    name: everylayer.patch.rollback
  vars:
    rollback_change_record: "{{ item }}"
  loop: "{{ query('everylayer.patch.evidence_changes', run_id, host=inventory_hostname) | reverse }}"
"""

RETURN = r"""
_list:
  description: One change record per stored change, oldest first.
  type: list
  elements: dict
  contains:
    seq:
      description: The record's position in the evidence chain.
      type: int
    run_id:
      description: The run that made the change.
      type: str
    host:
      description: The inventory host.
      type: str
    task:
      description: The task that made the change.
      type: str
    layer:
      description: The change record's layer.
      type: str
    changes:
      description: The changes, as the module returned them.
      type: list
    rollback:
      description: The rollback block to pass to the rollback role.
      type: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import resolve_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError


def select_changes(records, host=None):
    """The undoable change records among ``records`` (evidence Record objects), oldest first."""
    found = []
    for rec in records:
        if rec.kind != "change" or (host is not None and rec.host != host):
            continue
        data = rec.data
        rollback = data.get("rollback") or {}
        if (
            data.get("simulated")
            or data.get("check_mode")
            or not data.get("changes")
            or rollback.get("strategy", "none") == "none"
        ):
            continue
        found.append(
            {
                "seq": rec.seq,
                "run_id": rec.run_id,
                "host": rec.host,
                "task": data.get("task"),
                "recorded_at": rec.recorded_at,
                "failed": bool(data.get("failed")),
                "layer": data.get("layer"),
                "changes": data.get("changes"),
                "rollback": rollback,
            }
        )
    return sorted(found, key=lambda item: item["seq"])


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        host = self.get_option("host")
        found = []
        try:
            with open_store(resolve_store(self.get_option("store")), readonly=True) as store:
                for run_id in terms:
                    found.extend(select_changes(store.records(run_id=str(run_id)), host))
        except EvidenceError as exc:
            raise AnsibleLookupError(f"evidence_changes: {exc}") from None
        return sorted(found, key=lambda item: item["seq"])
