#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: network_image
short_description: Scan, stage, upgrade and roll back the OS image of network devices
version_added: 0.1.0
description:
  - Runs on the controller (through its action plugin) and drives the device over SSH with netmiko,
    so no Python is needed on the device and no C(delegate_to) is needed in the play.
  - One runbook for every platform; a platform is one small class of commands
    (C(cisco_ios) for IOS and IOS-XE in bundle and install mode, C(cisco_nxos), C(arista_eos), C(juniper_junos)).
  - IOS-XE in install mode (the device boots C(packages.conf)) is staged with C(install add file), upgraded with
    C(install activate auto-abort-timer) and, once the version, the stack members and the post-checks are right,
    C(install commit); it is rolled back with C(install rollback to committed) (before the commit), after the commit
    with C(install rollback to id N) (the newest rollback point of C(show install rollback) that runs the previous
    version), else by adding the previous bundle again. C(install remove inactive) frees space when it is short.
  - Refused with a clear message - NX-OS in ACI mode (managed by the APIC), IOS-XE in controller (SD-WAN) mode, and a
    login that stays in user mode without O(enable_secret) / C(ansible_become).
  - The device's own error messages (C(% Invalid input), C(% Incomplete command), C(No such command),
    C(syntax error), C(unknown command), C(error:) lines) fail the step with the command and the device's words;
    every failure still carries the change record.
  - "Runbook: facts (version, image, boot variable, free space, saved configuration) -> already current? stop ->
    running-configuration backup on the controller -> free space (optionally deleting O(delete_images)) ->
    MD5 of the copy on the device (skip the transfer when it matches) -> SCP transfer -> MD5 again (a corrupt copy is
    re-sent once; a dropped session reconnects and checks again) -> boot variable (new image first, the running image
    as fallback where the platform allows two) -> save -> reload -> wait for the device (uptime reset, new version) ->
    stack members, standby supervisors and modules on the target version -> post-checks (interfaces, LLDP and BGP
    neighbours) compared with the pre-check snapshot."
  - When the device comes back on the old image, the task fails, says so, and points the boot variable at the image
    that booted.
  - Returns the everylayer.patch change record (O(state=upgraded) and O(state=rolled_back) record kind C(image)
    changes; the C(rollback) data names the image to boot to undo the change).
author:
  - everylayer.patch contributors (@everylayer)
options:
  state:
    description:
      - V(scanned) reports facts (and, with O(version), whether an upgrade is pending); never changes anything.
      - V(staged) puts the image on the device, verifies it and sets the boot variable, without reloading.
      - V(upgraded) stages, reloads and verifies the new version.
      - V(rolled_back) boots the image named by O(rollback) (the C(rollback.data) of an earlier change record).
    type: str
    choices: [scanned, staged, upgraded, rolled_back]
    default: scanned
  image:
    description: Path on the controller of the image file. Required for V(staged) and V(upgraded).
    type: path
  version:
    description:
      - Version the image runs. Compared with the device's version after normalisation
        (V(17.09.04a) equals V(17.9.4a), V(10.3(6\)) equals V(10.3.6)); equal means nothing to do.
    type: str
  image_md5:
    description: Expected MD5 of O(image); the task fails before touching the device if the file differs.
    type: str
  dest:
    description: File name on the device's image file system. Defaults to the base name of O(image).
    type: str
  delete_images:
    description:
      - Image files on the device that may be deleted, in this order, when free space is short.
        The running image, the images in the boot variable and O(dest) are never deleted.
    type: list
    elements: str
    default: []
  rollback:
    description:
      - For V(rolled_back) - the C(rollback.data) of the change record to undo, at least C(version) and C(image)
        (or C(file)). The image must still be on the device.
    type: dict
  save_unsaved_config:
    description:
      - On platforms where the boot variable is saved with the configuration (IOS, NX-OS), every path that saves
        (staging, upgrading, pointing the boot variable at the running image, rolling back, resetting the boot
        variable after a failed boot) refuses when the running configuration had unsaved changes, unless this is
        true. The configuration backup is always taken before the save (unless O(backup=false)).
    type: bool
    default: false
  backup:
    description: Save the running configuration on the controller before changing anything.
    type: bool
    default: true
  backup_dir:
    description: Directory for the backups (mode 0700, files mode 0600). Defaults to C(backups/network) beside the playbook.
    type: path
  postcheck:
    description: Snapshot interfaces, LLDP and BGP neighbours before the reload and compare them after.
    type: bool
    default: true
  fail_on_postcheck_diff:
    description: Fail the task when the post-checks differ (otherwise the differences are a warning and in C(postcheck)).
    type: bool
    default: false
  reload_timeout:
    description: Seconds to wait for the device to come back after a reload.
    type: int
    default: 900
  reload_poll_interval:
    description: Seconds between reconnection attempts while waiting.
    type: int
    default: 10
  hash_timeout:
    description: Seconds the device may take to hash the image (hashing is slow on big images).
    type: int
    default: 300
  transfer_timeout:
    description:
      - SCP socket timeout in seconds (a transfer that stalls this long fails, or reconnects and resumes from the
        hash check).
    type: int
    default: 60
  install_auto_abort_timer:
    description:
      - IOS-XE install mode - minutes after which the device rolls an activation back by itself unless it is
        committed (C(install activate auto-abort-timer)). The runbook commits as soon as its checks pass. V(0)
        activates without a timer.
    type: int
    default: 60
  command_timeout:
    description:
      - Seconds a command may take to answer (the prompt to come back). There is no hidden retry; the failure
        message states the wait. Hashing uses the larger of this and O(hash_timeout); C(write memory) and the
        configuration backup at least 120 seconds.
    type: int
    default: 60
  platform:
    description: Platform (netmiko device type). Defaults to C(ansible_network_os) (short names such as V(ios) work).
    type: str
  host:
    description: Address of the device. Defaults to C(ansible_host), then the inventory host name.
    type: str
  port:
    description: SSH port. Defaults to C(ansible_port), then 22.
    type: int
  username:
    description:
      - SSH user. Defaults to C(ansible_user) (or C(ansible_ssh_user)), then the play's remote user (C(-u),
        C(remote_user), ansible.cfg), then the E(ANSIBLE_NET_USERNAME) environment variable.
    type: str
  password:
    description:
      - SSH password. Defaults to C(ansible_password) (or C(ansible_ssh_pass)), then the connection password
        (C(--connection-password-file), C(-k)), then E(ANSIBLE_NET_PASSWORD).
    type: str
  ssh_key_file:
    description:
      - Private key. Defaults to C(ansible_ssh_private_key_file), then C(--private-key), then
        E(ANSIBLE_NET_SSH_KEYFILE).
    type: path
  allow_agent:
    description: Offer the keys of a running SSH agent (E(SSH_AUTH_SOCK)), as ssh does.
    type: bool
    default: true
  enable_secret:
    description:
      - Enable password for devices that log in to user mode (C(>)). Defaults to C(ansible_become_password)
        (or C(ansible_become_pass)), then the play's become password (C(--become-password-file), C(-K)), then
        E(ANSIBLE_NET_AUTH_PASS). C(enable) is sent when C(ansible_become) is true (or this option is set);
        without it, a login in user mode fails the task.
    type: str
  known_hosts:
    description:
      - known_hosts file used to verify the device's host key. Defaults to the C(UserKnownHostsFile) given in
        C(ansible_ssh_common_args) or C(ansible_ssh_extra_args), then C(~/.ssh/known_hosts).
    type: path
  host_key_checking:
    description:
      - Verify the device's SSH host key (the SCP connection too). Defaults to C(ansible_host_key_checking), then
        Ansible's own C(host_key_checking) setting (C([defaults\] host_key_checking) in ansible.cfg,
        E(ANSIBLE_HOST_KEY_CHECKING)), which is true unless changed. Set to false only for devices whose keys you
        cannot know.
    type: bool
  connect_timeout:
    description:
      - Seconds each stage of the login may wait - TCP connect, SSH banner, authentication, and each read of the
        session preparation (prompt, terminal width, paging). A failed login states the wait it measured.
    type: int
    default: 30
attributes:
  check_mode:
    support: full
    description: Connects and reads facts, then reports what would change without transferring, setting or reloading anything.
  diff_mode:
    support: full
    description: Shows version, image and boot variable before and after.
  platform:
    platforms: [cisco_ios, cisco_nxos, arista_eos, juniper_junos]
    support: full
    description: The module runs on the controller and reaches the device over SSH.
  action:
    support: full
    description: The work happens in the action plugin on the controller.
requirements:
  - netmiko >= 4.5 on the controller
notes:
  - Junos has no boot variable; the pending software set by C(request system software add) plays its part.
  - NX-OS and EOS keep one boot image, so there is no fallback entry; a failed boot is detected and reported.
seealso:
  - name: docs/network.md
    description: Platforms, runbook steps, options and fault behaviour.
    link: https://github.com/everylayer/patch/blob/main/docs/network.md
"""

EXAMPLES = r"""
- name: Report the image every switch runs and whether 17.12.03 is pending
  everylayer.patch.network_image:
    state: scanned
    version: "17.12.03"

- name: Upgrade an IOS-XE switch, freeing space by deleting an old image if needed
  everylayer.patch.network_image:
    state: upgraded
    image: /srv/images/cat9k_iosxe.17.12.03.SPA.bin
    version: "17.12.03"
    image_md5: 2b1f0e8c9d7a6b5c4d3e2f1a0b9c8d7e
    delete_images: [cat9k_iosxe.17.06.05.SPA.bin]
  register: upgrade

- name: Roll the same switch back with the change record's rollback data
  everylayer.patch.network_image:
    state: rolled_back
    rollback: "{{ upgrade.rollback.data }}"
"""

RETURN = r"""
layer:
  description: Always V(network).
  returned: always
  type: str
changes:
  description: Image changes made (kind V(image), before and after version, component = image file).
  returned: always
  type: list
  elements: dict
pending:
  description: Image changes available but not applied (scan, check mode, an image that did not boot).
  returned: always
  type: list
  elements: dict
reboot_required:
  description: True after V(staged) (the new image runs only after a reload).
  returned: always
  type: bool
rollback:
  description: C(strategy=image) and C(data) (platform, image, file, version, boot) to return to the previous image.
  returned: when something changed or would change
  type: dict
facts:
  description: C(before) and C(after) facts - version, versions, image, boot, free, total, uptime, config_saved.
  returned: when the device was reached
  type: dict
transfer:
  description: File, MD5, whether it was transferred, how many times re-sent and reconnections.
  returned: when an image was staged
  type: dict
postcheck:
  description:
    - Snapshots before and after the reload and their C(differences) (check, item, before, after).
    - A check whose command answered nothing, or no table it can read, is V(unreadable) in a snapshot (never an
      empty table); C(unreadable) lists the checks not compared. Unreadable after the reload when it had rows
      before fails the task, naming the command.
  returned: after a reload with O(postcheck=true)
  type: dict
members:
  description:
    - Stack members, standby supervisors and modules with software (C(id), C(role) active, standby or member,
      C(version), C(state)), read after the reload (and by V(scanned)).
  returned: when the device has more than one unit
  type: list
  elements: dict
step:
  description: The runbook step that failed (for example V(facts), V(boot), V(save), V(install_activate)).
  returned: on failure
  type: str
command:
  description: The last command sent to the device when the task failed.
  returned: on failure
  type: str
waited:
  description: Seconds the login waited before failing for want of a usable prompt.
  returned: when the login found no usable prompt
  type: float
backup_path:
  description: Path on the controller of the running-configuration backup.
  returned: when a backup was taken
  type: str
steps:
  description: The runbook steps taken, in order, with timestamps.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.everylayer.patch.plugins.module_utils._network.argspec import ARGUMENT_SPEC, REQUIRED_IF


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    module.fail_json(
        msg="everylayer.patch.network_image runs on the controller through its action plugin; "
        "call it by its FQCN without a collections-less module path"
    )


if __name__ == "__main__":
    main()
