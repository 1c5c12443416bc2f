#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rollout_host_plan
short_description: Plan one host in a rollout wave, and record why it waits when it must
version_added: 1.1.0
description:
  - Decides the host's layer (the first of its asset's C(layers)), whether its maintenance window is open, and what
    it installs - in a freezing wave what its filters or declared target select, in later waves exactly what the
    frozen manifest holds for it.
  - Sets the facts C(rollout_plan) (C(layer), C(manifest_group), C(manifest), C(target_name), C(target), C(deferred))
    and C(rollout_outcome) (C(deferred) or C(pending); C(patched) for an OS host this task patched, see O(os_patch)).
  - With O(os_patch), an OS host that is patched now is patched by this same task (one task per OS host instead of
    a plan task and a patch task).
  - A deferred host's decision is returned as C(everylayer_decision), which the evidence callback records.
  - Runs on the controller (action plugin); the rollout role runs it once per host. It connects to the host only to
    run a module there - the scan of O(baseline), the patch of O(os_patch).
author:
  - everylayer.patch contributors (@everylayer)
options:
  freeze:
    description: Whether the wave is a freezing wave (installs the declared targets, not the frozen manifest).
    type: bool
    default: false
  asset:
    description: The host's asset record (C(layers), C(platform), C(maintenance_window)...).
    type: dict
    default: {}
  window:
    description: The host's maintenance window, a name defined in O(policy).
    type: str
    default: always
  policy:
    description: The maintenance windows and blackouts (see docs/rollouts.md); empty allows every host.
    type: dict
    default: {}
  now:
    description: The time to decide for (ISO 8601); now when unset.
    type: str
  manifest:
    description:
      - The frozen manifest - for each package manager the package versions, and the C(network) and C(firmware) targets.
      - Windows hosts (layer C(windows)) have a group like a package manager's, C(KB -> update id), whose ids
        M(everylayer.patch.windows_updates) installs (O(everylayer.patch.windows_updates#module:update_ids)).
    type: dict
    default: {}
  manifest_group:
    description:
      - The host's key in O(manifest) (its package manager).
      - A Windows host whose key is C(any) (its asset names no package manager) uses C(windows_update).
    type: str
    default: any
  targets:
    description: The declared network and firmware targets (C(rollout_targets)).
    type: dict
    default: {}
  host:
    description:
      - The host's own variables the plan reads - C(network_os), C(network_image), C(network_image_version),
        C(firmware_backend), C(firmware_component).
    type: dict
    default: {}
  require_tested_target:
    description: In a later wave, defer a device whose platform or component the freezing wave did not test.
    type: bool
    default: false
  baseline:
    description:
      - The governance baseline's settings (the rollout role's C(rollout_baseline)) - C(policy) (a policy file or
        mapping with C(baselines), required), the advisory feeds C(osv), C(kev), C(epss), C(now) (decide as of this
        day), C(first_seen) (read since when each update is pending from O(evidence_store), default true) and
        C(scan) (more M(everylayer.patch.packages) options for the scan, such as C(advisory_source)),
        C(windows_scan) (M(everylayer.patch.windows_updates) options of a Windows host's scan - C(category_names),
        C(security_only), C(min_severity), C(accept_list), C(reject_list), C(server_selection)) and
        C(expedited_only) (install only what the expedite rule approved - an emergency rollout out of cadence).
      - When set, an OS or Windows host that is not otherwise deferred is scanned now (M(everylayer.patch.packages)
        or M(everylayer.patch.windows_updates) C(state=scanned), in this task), each pending update is ranked and
        decided under the baseline of its layer and the exceptions (docs/governance.md); the approved updates become
        the plan's C(manifest) (in a freezing wave the scan's candidate versions - a Windows host's approved update
        ids, KB -> id - in a later wave the frozen manifest's entries the baseline approves). Nothing approved
        defers the host. Empty (the default) - no scan, nothing changes.
    type: dict
    default: {}
  exceptions:
    description:
      - Exceptions (a file path or a list, docs/governance.md) honoured by O(baseline). An expired or unapproved
        exception fails the task, naming the exception, file and field.
    type: raw
  evidence_store:
    description: The evidence store to read since when updates are pending (the baseline's delay counts from then).
    type: str
  os_patch:
    description:
      - The OS patch's settings - C(names), C(exclude), C(security_only), C(severity), C(advisories),
        C(lock_timeout) (the apply role's C(apply_*) settings of the same names) and C(precheck), C(postcheck) (the
        checks run in the same module call, the rollout role's C(rollout_os_precheck) / C(rollout_os_postcheck)).
      - When set and the host is an OS host that is patched now (not deferred), this task also patches it - it runs
        M(everylayer.patch.packages) C(state=patched) on the host with the plan's C(manifest) (a freezing wave, the
        filters instead), exactly as the apply role's C(os) entry point does, and with the task's C(module_defaults)
        for that module. The apply role's C(os) settings are checked first, naming a wrong one.
      - The result is then the module's change record (C(layer), C(changes), C(rollback), C(reboot_required),
        C(precheck), C(postcheck)...) with C(plan) beside it, which the evidence callback records as the host's change,
        and the task fails when the module fails (its words in C(msg), its change record kept for the rollback).
      - The rollout registers this task as C(apply_result), the name the apply role registers.
      - Unset (or a device, a Windows host, a deferred host) - the task only plans, and connects to nothing.
    type: dict
  reboot_policy:
    description:
      - With O(os_patch), when the patched host still has to reboot through the rollout's roles (then be verified
        again) - V(always), V(when_required) (its change record says C(reboot_required)) or V(never). A host that does
        not is done - its fact C(rollout_outcome) is C(patched) - otherwise C(pending).
    type: str
    choices: [when_required, always, never]
    default: when_required
attributes:
  check_mode:
    support: full
    description:
      - Plans the same in check mode; the patch of O(os_patch) runs in check mode (M(everylayer.patch.packages) forecasts
        its change record and changes nothing).
  diff_mode:
    support: full
    description: With O(os_patch), the patch's diff (M(everylayer.patch.packages)); the plan itself changes nothing.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller (action plugin); connects to the host only for the modules it runs there.
extends_documentation_fragment:
  - everylayer.patch.rollout_action
  - everylayer.patch.rollout_action.wave
seealso:
  - module: everylayer.patch.rollout_decision
"""

EXAMPLES = r"""
- name: Plan the host and, when it is an OS host patched now, patch it in the same task
  everylayer.patch.rollout_host_plan:
    wave: pilot
    freeze: true
    asset: "{{ asset }}"
    os_patch:
      exclude: ["kernel*"]
      lock_timeout: 120
      postcheck: {verify_versions: true}
    reboot_policy: when_required
  register: apply_result

- name: Plan the host
  everylayer.patch.rollout_host_plan:
    wave: staged
    asset: "{{ asset }}"
    manifest: "{{ frozen_manifest }}"
    manifest_group: apt
"""

RETURN = r"""
changes:
  description:
    - With O(os_patch), on an OS host this task patched - the change record of M(everylayer.patch.packages)
      C(state=patched) (this and its other return values - C(layer), C(rollback), C(reboot_required), C(precheck),
      C(postcheck) - as that module documents them).
  returned: when this task patched the host
  type: list
  elements: dict
plan:
  description: The host's plan, as the fact C(rollout_plan).
  returned: success
  type: dict
everylayer_decision:
  description:
    - The C(deferred) decision (C(kind), C(wave), C(host), C(reason)) when the host must wait.
    - With O(baseline), the C(baseline) decision of a host that is patched, or the C(deferred) one of a host whose
      baseline approves nothing now; either carries C(baseline) - C(approved) (with C(version), C(expedited)),
      C(waiting) (with C(approves_on)), C(rejected), C(excepted) (with C(exception)), each item with its C(reason),
      and C(expiring) exceptions.
  returned: when the host is deferred, or a baseline decided its updates
  type: dict
"""
