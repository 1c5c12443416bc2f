#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rollout_decision
short_description: Record a rollout decision about a host in the evidence
version_added: 1.1.0
description:
  - Returns the decision as C(everylayer_decision), which the C(everylayer.patch.evidence) callback records (kind
    C(decision)); the evidence gates read them (M(everylayer.patch.rollout_gate)).
  - A C(rolled_back) decision for a change record that lists no change is recorded as C(unchanged) - nothing was
    changed, so nothing was rolled back.
  - Runs on the controller (action plugin); changes nothing.
author:
  - everylayer.patch contributors (@everylayer)
options:
  kind:
    description:
      - C(deferred) (the host waits), C(rolled_back) (its failed change was undone), C(unchanged) (it failed and
        still runs what it ran before), C(manifest_frozen) (what a freezing wave installed), C(approval) (the
        wave's approval record - C(approver), C(approved_at), C(change_id) in O(details) - recorded before the wave
        touches a host) or C(baseline) (what a governance baseline approved for the host and why the rest waits,
        in O(details); M(everylayer.patch.rollout_host_plan) records the same decision for the rollout's hosts).
      - C(manifest_frozen) and C(approval) are about the wave, not a host (no C(host) field).
    type: str
    required: true
    choices: [deferred, rolled_back, unchanged, manifest_frozen, approval, baseline]
  wave:
    description: The wave.
    type: str
    required: true
  reason:
    description: Why.
    type: str
  change_record:
    description: The change record that was rolled back (required with O(kind=rolled_back)).
    type: dict
  details:
    description: More fields of the decision (for example C(manifest), C(path), C(version)).
    type: dict
    default: {}
extends_documentation_fragment:
  - everylayer.patch.rollout_action
"""

EXAMPLES = r"""
- name: Record why the host waits
  everylayer.patch.rollout_decision:
    kind: deferred
    wave: staged
    reason: outside window weeknights

- name: Record the staged wave's approval (before its hosts)
  everylayer.patch.rollout_decision:
    kind: approval
    wave: staged
    details: {approver: cab-chair, approved_at: "2026-12-07T09:30:00Z", change_id: CHG-1234}
"""

RETURN = r"""
everylayer_decision:
  description:
    - The decision the evidence records (C(kind), C(wave), C(host) but for C(manifest_frozen) and C(approval),
      C(reason) and O(details)).
  returned: success
  type: dict
"""
