# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: evidence_gate
short_description: Read what a rollout gate needs from the evidence store
version_added: 0.1.0
author:
  - everylayer.patch contributors (@everylayer)
description:
  - Returns, for the given inventory hosts, each host's outcome in one run as the
    P(everylayer.patch.evidence#callback) callback recorded it (patched, rolled back, failed, deferred, planned in
    check mode, or untouched), the counts and success rate, and the rollbacks left open by any earlier run
    (a rollback that failed and was not followed by a successful rollback or change on that host).
  - The rollout's health gates use it, so a gate decides on what was recorded, not on what the play remembers.
  - The run defaults to the current one - the callback exports its run id as E(EVERYLAYER_EVIDENCE_RUN_ID)
    when the playbook starts.
options:
  _terms:
    description: Inventory host names whose outcomes to read.
    required: true
    type: list
    elements: str
  run_id:
    description: The run to read; the current run when the evidence callback is enabled.
    type: str
    env:
      - name: EVERYLAYER_EVIDENCE_RUN_ID
  open_rollbacks_hosts:
    description:
      - Hosts whose open rollbacks to report (across every run in the store). Defaults to the hosts in O(_terms).
    type: list
    elements: str
extends_documentation_fragment:
  - everylayer.patch.evidence_store.lookup
notes:
  - Reads the whole store once per call to find open rollbacks; keep retention (the callback's C(retention_days))
    in line with how far back a gate should look.
"""

EXAMPLES = r"""
- name: Gate after the pilot wave on the recorded outcomes
  ansible.builtin.assert:
    that:
      - gate.counts.failed == 0
      - gate.open_rollbacks | length == 0
      - gate.success_rate >= 1.0
  vars:
    gate: "{{ lookup('everylayer.patch.evidence_gate', query('ansible.builtin.inventory_hostnames', 'wave_pilot')) }}"
"""

RETURN = r"""
_raw:
  description: One mapping (a lookup returns it as a one-element list).
  type: list
  elements: dict
  contains:
    run_id:
      description: The run that was read.
      type: str
    outcomes:
      description:
        - Host name to C(patched), C(rolled_back), C(failed) (changed and not restored), C(unknown) (a patch task
          started on the host and never reported an outcome - the controller died, or the record was lost),
          C(unchanged) (failed or unreachable before any change), C(deferred), C(planned) (check mode) or
          C(untouched).
      type: dict
    counts:
      description:
        - How many hosts have each outcome. C(failed) includes the C(unknown) hosts (a gate counts an unknown host
          as failed); C(unknown) gives their number alone.
      type: dict
    success_rate:
      description: patched / (patched + rolled_back + failed + unchanged), unknown counted as failed; 1.0 when no host was attempted.
      type: float
    open_rollbacks:
      description: Failed rollbacks not followed by a successful rollback or change (host, run_id, seq, recorded_at, msg).
      type: list
      elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import resolve_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.gate import gate_view
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        run_id = self.get_option("run_id")
        if not run_id:
            raise AnsibleLookupError(
                "evidence_gate: no run id - enable the everylayer.patch.evidence callback "
                "(ANSIBLE_CALLBACKS_ENABLED=everylayer.patch.evidence) or pass run_id"
            )
        hosts = [str(h) for term in terms for h in (term if isinstance(term, (list, tuple)) else [term])]
        scope = self.get_option("open_rollbacks_hosts") or hosts
        try:
            with open_store(resolve_store(self.get_option("store")), readonly=True) as store:
                every = list(store.records())
        except EvidenceError as exc:
            raise AnsibleLookupError(f"evidence_gate: {exc}") from None
        run = [rec for rec in every if rec.run_id == run_id]
        if not run:
            raise AnsibleLookupError(f"evidence_gate: run {run_id} has no records in the evidence store")
        view = gate_view(run, every, hosts, scope)
        view["run_id"] = run_id
        return [view]
