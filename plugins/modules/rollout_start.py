#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rollout_start
short_description: Check a rollout's waves and plan which hosts each wave patches
version_added: 1.1.0
description:
  - Checks the waves (O(waves)), picks those to run (O(run_waves)), matches each wave's host pattern against the
    inventory and splits each wave's hosts into its own batches and its core devices (one at a time).
  - Fails, naming the wave and the field, on a wave that is malformed, and naming the pattern on a wave that matches
    no host (unless O(allow_empty)). A host matched by two waves runs in the first.
  - Fails when a wave that installs the frozen manifest runs without O(change_id).
  - Fails, naming the wave and the missing field, when a wave that requires an approval (its C(approval), by default
    every wave after the first) has no approval record (O(approvals) or O(approval)) with C(approver),
    C(approved_at) and C(change_id). Every record is checked before the first wave, so nothing is touched.
  - With O(baseline), loads the governance policy, advisory feeds and O(exceptions) once before any host is touched
    (an expired or unapproved exception fails, naming the exception, file and field) and lists the exceptions that
    expire soon in its message and as warnings.
  - Reads and checks an earlier run's frozen manifest (O(manifest_file)); an empty or malformed manifest is an error.
  - Runs on the controller (action plugin); the rollout role (C(everylayer.patch.rollout)) calls it once.
author:
  - everylayer.patch contributors (@everylayer)
options:
  waves:
    description:
      - The waves in order, each a mapping with C(name) (required), C(hosts), C(serial), C(max_fail_percentage),
        C(gate_min_success), C(soak_seconds), C(freeze), C(approval) and C(share); see the rollout role's
        C(rollout_waves).
    type: raw
    required: true
  run_waves:
    description: The names of the waves to run (a list or a comma-separated string); empty runs them all.
    type: raw
  allow_empty:
    description: Accept a wave that matches no host.
    type: bool
    default: false
  core_group:
    description: Hosts of this group are core devices; so are assets of criticality C(critical) and hosts with C(everylayer_core=true).
    type: str
    default: core
  core_serial:
    description: The batches of a wave's core devices.
    type: raw
    default: 1
  change_id:
    description: The change ticket; required when a wave that installs the frozen manifest runs.
    type: str
  manifest_file:
    description: A frozen manifest written by an earlier run (JSON C({run_id, change_id, manifest})).
    type: path
  run_id:
    description: The run id (the evidence callback's); a UTC timestamp when not given.
    type: str
  require_approval:
    description: The default of a wave's C(approval) for the waves after the first (the first never needs one).
    type: bool
    default: true
  approvals:
    description:
      - Approval records by wave name, each C({approver, approved_at, change_id}) (optionally C(comment));
        C(approved_at) is an ISO 8601 date or time, not in the future; C(change_id) must be O(change_id) when given.
    type: dict
    default: {}
  approval:
    description:
      - One approval record for every wave of this run that needs one and has none in O(approvals) (what an AWX
        workflow's approved node hands on).
    type: dict
    default: {}
  baseline:
    description:
      - The governance baseline's settings (C(rollout_baseline), see M(everylayer.patch.rollout_host_plan)); checked
        and loaded here once. Empty - no baseline.
    type: dict
    default: {}
  exceptions:
    description: Exceptions honoured by O(baseline) (a file path or a list); they need O(baseline).
    type: raw
  slots:
    description: The number of wave slots of the playbook; more waves to run than slots is an error. 0 for no limit.
    type: int
    default: 0
extends_documentation_fragment:
  - everylayer.patch.rollout_action
seealso:
  - module: everylayer.patch.rollout_gate
  - module: everylayer.patch.rollout_decision
"""

EXAMPLES = r"""
- name: Plan a canary before the default waves
  everylayer.patch.rollout_start:
    waves:
      - {name: canary, hosts: "wave_pilot[0]", serial: 1}
      - {name: pilot, freeze: false}
      - {name: staged, serial: [1, "10%"], max_fail_percentage: 20, gate_min_success: 0.75}
    change_id: CHG-1234
    approvals:
      pilot: {approver: cab-chair, approved_at: "2026-12-07T09:30:00Z", change_id: CHG-1234}
      staged: {approver: cab-chair, approved_at: "2026-12-07T09:30:00Z", change_id: CHG-1234}
"""

RETURN = r"""
waves:
  description: The waves to run with their fields filled in and their hosts.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The wave's name.
      type: str
    hosts:
      description: The wave's host pattern.
      type: str
    host_list:
      description: The wave's hosts that are not core devices, in inventory order.
      type: list
      elements: str
    core_hosts:
      description: The wave's core devices.
      type: list
      elements: str
    count:
      description: How many hosts the wave patches.
      type: int
    gate:
      description: Whether a gate follows the wave (every wave but the last).
      type: bool
    freeze:
      description: Whether the wave freezes the manifest.
      type: bool
    approval:
      description: The wave's checked approval record (C(approver), C(approved_at), C(change_id), C(source)), or null.
      type: dict
expiring:
  description: Exceptions expiring within the policy's C(exceptions_expiring_days) (C(id), C(owner), C(expires), C(days_left)).
  returned: when O(baseline) is set
  type: list
  elements: dict
ansible_facts:
  description: C(rollout_wave_plan) (RV(waves)), C(rollout_manifest), C(rollout_run_id) and C(rollout_now).
  returned: success
  type: dict
"""
