#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: firmware
short_description: Scan, update and roll back firmware through a Redfish BMC or fwupd
version_added: 0.1.0
description:
  - One module, two backends, the same states and the same change record (O(backend)).
  - C(redfish) talks HTTPS to a BMC's UpdateService. Run it on the controller (C(delegate_to=localhost)). It reads
    FirmwareInventory before and after, updates by C(SimpleUpdate) (the BMC pulls O(image_uri)) or by
    C(MultipartHttpPushUri) (the module pushes O(image_path)), honours each path's own
    C(@Redfish.OperationApplyTimeSupport) (O(apply_time)), follows the task as DMTF DSP0266 describes it (task
    monitor and Task resource, every C(TaskState), C(Retry-After)) within O(timeout), rides out a BMC reset during
    the update (logs in again and resumes polling), refuses a downgrade below C(LowestSupportedVersion), and sends
    nothing while the BMC is busy with another update.
  - A failed Redfish update after which the component runs another version still reports C(changed=true), the
    change and RV(rollback).
  - C(fwupd) runs on the Linux host and drives C(fwupdmgr --json) - devices, available updates, install of the
    latest or a given release, downgrade for rollback where the device and the remotes allow it, and history.
    fwupdmgr's exit codes are normalised - C(2) (nothing to do) is not a failure.
  - Every result carries the collection's change record - RV(layer) C(firmware), RV(changes) of kind C(firmware)
    whose component is the device id, RV(pending) and RV(rollback) (previous version and image reference).
  - Idempotence is by version - a component already at O(version) is left alone.
author:
  - everylayer.patch contributors (@everylayer)
options:
  backend:
    description: Which firmware interface to use.
    type: str
    required: true
    choices: [redfish, fwupd]
  state:
    description:
      - V(scanned) reads the inventory (and, for fwupd, the available updates) and changes nothing.
      - V(updated) brings the component(s) to O(version) (fwupd - to the latest release when O(version) is omitted).
      - V(rolled_back) returns to an earlier version, taken from O(rollback) (the RV(rollback) of an earlier
        result) or from O(version); with fwupd and neither, from fwupd's history.
      - V(activated) (backend C(redfish) only) activates the image an earlier V(updated) with O(apply_time=OnReset)
        staged, without sending it again - it resets what activates the component (C(Manager.Reset) for BMC
        firmware, C(ComputerSystem.Reset) otherwise) and waits until the component runs O(version). A component
        already at O(version) is left alone; one that comes back on another version fails the task.
        fwupd activates staged firmware at the host's reboot instead.
    type: str
    default: scanned
    choices: [scanned, updated, rolled_back, activated]
  components:
    description:
      - Redfish - FirmwareInventory member ids (for example C(BMC), C(BIOS)); where the service lists no such member,
        C(BIOS) is the ComputerSystem's C(BiosVersion) and C(BMC) the Manager's C(FirmwareVersion) (C(BIOS-<Id>) and
        C(BMC-<Id>) when there are several systems or managers). Updates and activations take exactly one.
      - fwupd - device ids (or a unique prefix of at least 8 characters), GUIDs or device names. Default - every
        updatable device.
    type: list
    elements: str
  version:
    description:
      - The version to reach. With backend=redfish and state=updated it is required - the version the image
        carries - and makes the update idempotent. With O(state=activated) it is required - the staged version.
    type: str
  allow_downgrade:
    description: Allow O(state=updated) to install an older version (O(state=rolled_back) always may).
    type: bool
    default: false
  rollback:
    description: The RV(rollback) value of an earlier result of this module, for O(state=rolled_back).
    type: dict
  image_uri:
    description: URI of the image the BMC pulls (SimpleUpdate C(ImageURI)).
    type: str
  image_path:
    description: Path on the controller of an image to push to C(MultipartHttpPushUri).
    type: path
  transfer_protocol:
    description: SimpleUpdate C(TransferProtocol), for BMCs that need it (for example V(HTTPS)).
    type: str
  rollback_image:
    description:
      - The image (URI, or absolute controller path) of the version installed now, recorded in RV(rollback) so a
        later O(state=rolled_back) can restore it. Redfish has no standard rollback action.
      - With O(state=activated), the image of the version running before the activation.
    type: str
  apply_time:
    description:
      - When the BMC applies the image (C(@Redfish.OperationApplyTime)). V(Immediate) waits for the new version;
        V(OnReset) stages the image (RV(staged), change listed in RV(pending)) unless O(reset=true);
        V(AtMaintenanceWindowStart) schedules it for the window (RV(scheduled)).
      - The update path must advertise the value in its own C(@Redfish.OperationApplyTimeSupport) (the SimpleUpdate
        action's for O(image_uri), C(MultipartHttpPushUri@Redfish.OperationApplyTimeSupport) for O(image_path)),
        else the task fails before anything is sent. A path that advertises none applies V(Immediate) only.
    type: str
    default: Immediate
    choices: [Immediate, OnReset, AtMaintenanceWindowStart, InMaintenanceWindowOnReset]
  maintenance_window_start:
    description: ISO 8601 start of the maintenance window, set on the BMC's C(MaintenanceWindowResource).
    type: str
  maintenance_window_duration:
    description: Length of the maintenance window in seconds.
    type: int
    default: 3600
  reset:
    description:
      - After an V(OnReset) update, reset what activates the image (C(Manager.Reset) for BMC firmware,
        C(ComputerSystem.Reset) otherwise) and wait for the new version.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to follow the update task and wait for the new version, BMC resets included.
      - With O(state=activated), seconds to wait for the staged version after the reset.
    type: int
    default: 1800
  poll_interval:
    description: Seconds between polls of the task monitor and the inventory.
    type: float
    default: 5
  system_bus_address:
    description:
      - D-Bus system bus address of the fwupd daemon (C(DBUS_SYSTEM_BUS_ADDRESS)); default - the environment's.
    type: str
notes:
  - See C(docs/firmware.md) in the collection for apply times, rollback limits and behaviour on faults.
attributes:
  check_mode:
    support: full
    description: Reads the inventory and reports what would change in RV(pending); sends no update and no reset.
  diff_mode:
    support: full
    description: Shows each component's version before and after.
  platform:
    support: full
    platforms: posix
    description: C(redfish) runs wherever it can reach the BMC (usually the controller); C(fwupd) on Linux with fwupd.
extends_documentation_fragment:
  - everylayer.patch.redfish
"""

EXAMPLES = r"""
# module_defaults on a block (or a play) sets the BMC connection once for every Redfish task in it
- name: Read the BMC's firmware inventory with the connection set once
  module_defaults:
    group/everylayer.patch.redfish:
      baseuri: "{{ bmc_address }}"
      username: "{{ bmc_user }}"
      password: "{{ bmc_password }}"
  block:
    - name: Read the BMC's firmware inventory
      everylayer.patch.firmware:
        backend: redfish

- name: Read a BMC's firmware inventory
  everylayer.patch.firmware:
    backend: redfish
    baseuri: "{{ bmc_address }}"
    username: "{{ bmc_user }}"
    password: "{{ bmc_password }}"
    ca_path: /etc/pki/bmc-ca.pem
  delegate_to: localhost

- name: Update the BIOS at the next reset, keeping the current image for rollback
  everylayer.patch.firmware:
    backend: redfish
    state: updated
    baseuri: "{{ bmc_address }}"
    username: "{{ bmc_user }}"
    password: "{{ bmc_password }}"
    components: [BIOS]
    version: "2.3.0"
    image_uri: https://images.example.com/bios-2.3.0.bin
    rollback_image: https://images.example.com/bios-2.2.4.bin
    apply_time: OnReset
  delegate_to: localhost
  register: bios

- name: Activate the staged BIOS (resets the system; the image is not sent again)
  everylayer.patch.firmware:
    backend: redfish
    state: activated
    baseuri: "{{ bmc_address }}"
    username: "{{ bmc_user }}"
    password: "{{ bmc_password }}"
    components: [BIOS]
    version: "2.3.0"
    rollback_image: https://images.example.com/bios-2.2.4.bin
  delegate_to: localhost
  register: bios

- name: Roll the BIOS back from the recorded change
  everylayer.patch.firmware:
    backend: redfish
    state: rolled_back
    baseuri: "{{ bmc_address }}"
    username: "{{ bmc_user }}"
    password: "{{ bmc_password }}"
    rollback: "{{ bios.rollback }}"
  delegate_to: localhost

- name: Update every device fwupd can update to its latest release
  everylayer.patch.firmware:
    backend: fwupd
    state: updated
  become: true
"""

RETURN = r"""
layer:
  description: Always C(firmware).
  returned: always
  type: str
  sample: firmware
backend:
  description: The backend used.
  returned: always
  type: str
  sample: redfish
changes:
  description: Firmware this task changed; each has component (device id), kind C(firmware), before, after.
  returned: always
  type: list
  elements: dict
  sample: [{component: BMC, kind: firmware, before: 1.45.0, after: 1.46.0, advisories: [], severity: null,
            reboot_required: false}]
pending:
  description: Changes found but not applied - scan results, check mode, staged (OnReset) or scheduled updates.
  returned: always
  type: list
  elements: dict
reboot_required:
  description: Whether a reset or reboot is needed to finish (staged images, devices needing a reboot).
  returned: always
  type: bool
rollback:
  description:
    - C(strategy) C(firmware) and C(data) - backend and, per component, the previous version and image reference.
    - Pass it back as O(rollback) with O(state=rolled_back).
  returned: always
  type: dict
  sample: {strategy: firmware, data: {backend: redfish, components: {BMC: {version: 1.45.0,
           image: https://images.example.com/bmc-1.45.0.bin, applied_image: https://images.example.com/bmc-1.46.0.bin}}}}
devices:
  description:
    - The components or devices (after the change) with id, name, version and backend details.
    - Redfish - each also has C(source) (C(firmware_inventory), C(system_bios) or C(manager)) and C(target_uri),
      the URI an update names in C(Targets) (the inventory member, or the ComputerSystem or Manager).
  returned: always
  type: list
  elements: dict
apply_time:
  description: The Redfish apply time used.
  returned: when backend is redfish and an update was sent or planned
  type: str
staged:
  description: The image is installed but activates only at the next reset or reboot.
  returned: when an update was staged
  type: bool
scheduled:
  description: The update waits for the maintenance window.
  returned: when apply_time is AtMaintenanceWindowStart
  type: bool
task:
  description:
    - The final state of the Redfish task (state, status, percent, messages, verdict V(done), V(failed) or V(gone)).
    - C(progress) lists the task's state, percentage and last message at each change seen (the last 20).
  returned: when backend is redfish and an update ran, also when it failed
  type: dict
busy:
  description: Why the BMC was found busy with another update (the module sent nothing).
  returned: when a Redfish update was refused because the BMC was busy
  type: list
  elements: str
history:
  description: fwupd's update history of the selected devices (device_id, from_version, to_version, update_state).
  returned: when backend is fwupd and state is scanned
  type: list
  elements: dict
bmc_reset_seen:
  description: The BMC dropped connections (reset) while the module followed the update or the activation.
  returned: when backend is redfish and an update or activation ran
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.common import FirmwareError
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.options import REDFISH_CONNECTION_ARG_SPEC
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.runner import run_module

APPLY_TIMES = ["Immediate", "OnReset", "AtMaintenanceWindowStart", "InMaintenanceWindowOnReset"]

ARGUMENT_SPEC = {
    "backend": {"type": "str", "required": True, "choices": ["redfish", "fwupd"]},
    "state": {"type": "str", "default": "scanned", "choices": ["scanned", "updated", "rolled_back", "activated"]},
    "components": {"type": "list", "elements": "str"},
    "version": {"type": "str"},
    "allow_downgrade": {"type": "bool", "default": False},
    "rollback": {"type": "dict"},
    **REDFISH_CONNECTION_ARG_SPEC,
    "image_uri": {"type": "str"},
    "image_path": {"type": "path"},
    "transfer_protocol": {"type": "str"},
    "rollback_image": {"type": "str"},
    "apply_time": {"type": "str", "default": "Immediate", "choices": APPLY_TIMES},
    "maintenance_window_start": {"type": "str"},
    "maintenance_window_duration": {"type": "int", "default": 3600},
    "reset": {"type": "bool", "default": False},
    "timeout": {"type": "int", "default": 1800},
    "poll_interval": {"type": "float", "default": 5},
    "system_bus_address": {"type": "str"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[("image_uri", "image_path")],
        required_if=[("backend", "redfish", ("baseuri", "username", "password"))],
        supports_check_mode=True,
    )
    try:
        result = run_module(module)
    except FirmwareError as exc:
        module.fail_json(msg=str(exc), layer="firmware", backend=module.params["backend"], **exc.details)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
