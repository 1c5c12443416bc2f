#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rollout_gate
short_description: Decide and record the gate after a rollout wave
version_added: 1.1.0
description:
  - Reads each host's outcome in the wave - from the evidence the C(everylayer.patch.evidence) callback recorded for
    this run (O(source=evidence)), or from the play's C(rollout_outcome) facts when no callback records
    (O(source=play)) - and decides whether the next wave may start.
  - Passes when the share of attempted hosts that were patched reaches O(min_success), no host failed without a
    rollback (or ended C(unknown) - an intent without an outcome), and no rollback is left open by an earlier run.
  - A wave in which no host was attempted (all deferred, untouched or unreachable before their patch) fails unless
    O(allow_empty); in check mode the planned hosts count as attempted.
  - Returns the decision as C(everylayer_decision), which the evidence callback records; fails the task when the
    gate does not pass.
  - Runs on the controller (action plugin).
author:
  - everylayer.patch contributors (@everylayer)
options:
  hosts:
    description: The wave's hosts.
    type: list
    elements: str
    required: true
  min_success:
    description: The share (0 to 1) of attempted hosts that must be patched.
    type: float
    default: 1.0
  allow_empty:
    description: Pass a wave with no attempted host.
    type: bool
    default: false
  source:
    description: Where the outcomes come from.
    type: str
    choices: [evidence, play]
    default: evidence
  run_id:
    description: The run whose evidence to read (required with O(source=evidence)).
    type: str
  store:
    description: The evidence store (a SQLite path or a PostgreSQL DSN); the callback's when unset.
    type: str
  open_rollbacks_hosts:
    description: Hosts whose rollbacks left open by earlier runs stop the gate; default O(hosts).
    type: list
    elements: str
extends_documentation_fragment:
  - everylayer.patch.rollout_action
  - everylayer.patch.rollout_action.wave
seealso:
  - module: everylayer.patch.rollout_start
  - module: everylayer.patch.rollout_decision
"""

EXAMPLES = r"""
- name: Gate after the pilot wave
  everylayer.patch.rollout_gate:
    wave: pilot
    hosts: "{{ query('ansible.builtin.inventory_hostnames', 'wave_pilot') }}"
    min_success: 1.0
    run_id: "{{ preflight.run_id }}"
"""

RETURN = r"""
passed:
  description: Whether the next wave may start.
  returned: always
  type: bool
everylayer_decision:
  description: The decision the evidence records.
  returned: success or a failed gate
  type: dict
  contains:
    kind:
      description: C(gate).
      type: str
    wave:
      description: The wave.
      type: str
    passed:
      description: As RV(passed).
      type: bool
    source:
      description: C(evidence) or C(play).
      type: str
    success_rate:
      description: patched / attempted (1.0 when none was attempted).
      type: float
    attempted:
      description: How many hosts were patched, rolled back, failed, unknown or unchanged.
      type: int
    counts:
      description: Hosts per outcome.
      type: dict
    outcomes:
      description: Host name to outcome.
      type: dict
    open_rollbacks:
      description: Failed rollbacks of earlier runs not followed by a success.
      type: list
      elements: dict
    reason:
      description: Why the gate failed (null when it passed).
      type: str
"""
