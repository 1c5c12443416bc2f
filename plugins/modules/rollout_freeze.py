#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rollout_freeze
short_description: Freeze what a rollout's freezing wave installed, write it, record it and hand it on
version_added: 1.1.0
description:
  - After a freezing wave (pilot), reads what each of its hosts whose C(rollout_outcome) is C(patched) installed -
    an OS host's packages from its change record (C(apply_result)) by package manager, a Windows host's update ids,
    a network device's image by platform, a firmware asset's target by component - and merges it into O(manifest).
    The later waves install exactly that (M(everylayer.patch.rollout_host_plan)).
  - Two hosts that installed different versions of one package (or target) for one key fail the task, naming them -
    the manifest would not be what the wave tested.
  - Sets the fact C(rollout_manifest); writes the manifest file O(dest) (what the rollout role's
    C(rollout_manifest_file) reads); returns the C(manifest_frozen) decision as C(everylayer_decision), which the
    evidence callback records; and sets the custom stat C(rollout_frozen) (run id, change id, wave, manifest), the
    artifact an AWX workflow hands to its next node.
  - The rollout role's C(gate) entry point runs it once per freezing wave (one task instead of five).
  - Runs on the controller (action plugin); never connects to a host.
author:
  - everylayer.patch contributors (@everylayer)
options:
  hosts:
    description: The wave's hosts (inventory names); their variables are read from C(hostvars).
    type: list
    elements: str
    required: true
  manifest:
    description: The manifest so far (an earlier freezing wave's, or one handed over); the wave's is merged into it.
    type: dict
    default: {}
  dest:
    description:
      - The manifest file to write on the controller, C({run_id, change_id, manifest}) as JSON; its directory is created
        C(0700), the file C(0600), replaced atomically.
      - Not written in check mode, when nothing was frozen, or when unset.
    type: path
  run_id:
    description: The rollout's run id (the evidence's), written into the file and the stat.
    type: str
  change_id:
    description: The change the rollout carries out, written into the file and the stat.
    type: str
attributes:
  check_mode:
    support: full
    description: Freezes and records the same (C(planned_only) in the decision); writes no file and sets no stat.
  diff_mode:
    support: none
    description: The decision records the manifest.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller (action plugin); writes only O(dest) there.
extends_documentation_fragment:
  - everylayer.patch.rollout_action
  - everylayer.patch.rollout_action.wave
seealso:
  - module: everylayer.patch.rollout_host_plan
  - module: everylayer.patch.rollout_decision
"""

EXAMPLES = r"""
- name: Freeze what the pilot wave installed
  everylayer.patch.rollout_freeze:
    wave: pilot
    hosts: "{{ groups['wave_pilot'] }}"
    manifest: "{{ rollout_manifest | default({}) }}"
    dest: "{{ rollout_manifest_dir }}/{{ rollout_run_id }}.json"
    run_id: "{{ rollout_run_id }}"
    change_id: CHG-1234
"""

RETURN = r"""
manifest:
  description:
    - The frozen manifest (also the fact C(rollout_manifest)) - for each package manager C(package -> version), a
      Windows group C(KB -> update id), C(network) C(platform -> target), C(firmware) C(component -> target).
  returned: success
  type: dict
everylayer_decision:
  description: The C(manifest_frozen) decision the evidence records - C(wave), C(manifest), C(path) (the file, or null), C(planned_only).
  returned: success
  type: dict
"""
