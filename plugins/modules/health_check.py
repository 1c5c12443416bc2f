#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: health_check
short_description: Check a host's patch readiness and health in one call
version_added: 0.1.0
description:
  - Runs every requested check on the host in a single module call (one round trip) and reports each one.
  - Used by the C(everylayer.patch.precheck) and C(everylayer.patch.postcheck) roles before and after a patch.
  - Checks are free disk space, no package-manager lock held (dpkg, rpm, zypper), no pending reboot, installed
    package versions equal to the expected ones, and checks declared as data (a command, a service, a TCP port or
    an HTTP URL).
author:
  - everylayer.patch contributors (@everylayer)
options:
  disk:
    description: Filesystems that need free space, each a path and a minimum in MiB.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: A path on the filesystem to check.
        type: path
        required: true
      min_free_mb:
        description: Minimum free space in MiB, as seen by an unprivileged writer.
        type: int
        required: true
  package_manager:
    description: Fail when a package manager lock (dpkg lock-frontend/lock, the rpm lock, zypper's pid file) is held.
    type: bool
    default: true
  reboot_pending:
    description: Fail when the host already waits for a reboot (C(/var/run/reboot-required)).
    type: bool
    default: false
  expect_versions:
    description:
      - Package name -> exact installed version expected (C(null) means not installed).
      - Read from the dpkg database first, then from the rpm database.
    type: dict
  checks:
    description: Health checks declared as data.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: A name for the check, used in the report.
        type: str
        required: true
      type:
        description:
          - C(command) runs O(checks[].command) (an argument list, never through a shell) and expects O(checks[].rc).
          - C(service) expects a systemd unit to be active, or without systemd a process of that name to run.
          - C(port) expects a TCP connection to O(checks[].host):O(checks[].port) to succeed.
          - C(url) expects an HTTP GET of O(checks[].url) to answer one of O(checks[].status).
        type: str
        required: true
        choices: [command, service, port, url]
      command:
        description: The argument list for a C(command) check.
        type: list
        elements: str
      rc:
        description: Expected return code of a C(command) check.
        type: int
        default: 0
      stdout_regex:
        description: A regular expression the C(command) output must match.
        type: str
      service:
        description: The unit or process name for a C(service) check.
        type: str
      host:
        description: Host for a C(port) check.
        type: str
        default: 127.0.0.1
      port:
        description: TCP port for a C(port) check.
        type: int
      url:
        description: URL for a C(url) check.
        type: str
      status:
        description: Acceptable HTTP status codes for a C(url) check.
        type: list
        elements: int
        default: [200]
      validate_certs:
        description: Verify the TLS certificate of a C(url) check. Only disable for lab or test endpoints.
        type: bool
        default: true
      ca_path:
        description: A CA bundle to verify a C(url) check against.
        type: path
      timeout:
        description: Seconds to wait for a C(port) or C(url) check.
        type: int
        default: 10
  fail_on_unhealthy:
    description: Fail the task when any check fails. With V(false) the result only reports it in RV(healthy).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The checks only read; they run in check mode too.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Linux hosts (dpkg or rpm based).
"""

EXAMPLES = r"""
- name: Check readiness before patching
  everylayer.patch.health_check:
    disk:
      - path: /var
        min_free_mb: 500
    reboot_pending: true
    checks:
      - name: sshd listens
        type: port
        port: 22
      - name: web answers
        type: url
        url: https://127.0.0.1/health
        ca_path: /etc/pki/internal-ca.pem

- name: Verify the versions a patch installed
  everylayer.patch.health_check:
    expect_versions:
      openssl: 3.0.15-1~deb12u1
"""

RETURN = r"""
healthy:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: true
checks:
  description: One entry per check, in the order run.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "disk:/var", "type": "disk", "ok": true, "detail": "812 MiB free on /var (need 500 MiB)"}]
failed_checks:
  description: Names of the checks that failed.
  returned: always
  type: list
  elements: str
  sample: ["package_manager"]
reboot_required:
  description: Whether the host waits for a reboot (only when O(reboot_pending) was checked).
  returned: when O(reboot_pending=true)
  type: bool
installed:
  description: Installed versions of the packages in O(expect_versions).
  returned: when O(expect_versions) is set
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.everylayer.patch.plugins.module_utils._health.checks import failure_detail, report, run_checks
from ansible_collections.everylayer.patch.plugins.module_utils._health.spec import (
    CHECK_REQUIRED_IF,
    CHECK_SPEC,
    DISK_SPEC,
)

ARGUMENT_SPEC = dict(
    disk=dict(type="list", elements="dict", default=[], options=DISK_SPEC),
    package_manager=dict(type="bool", default=True),
    reboot_pending=dict(type="bool", default=False),
    expect_versions=dict(type="dict"),
    checks=dict(type="list", elements="dict", default=[], options=CHECK_SPEC, required_if=CHECK_REQUIRED_IF),
    fail_on_unhealthy=dict(type="bool", default=True),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)

    def run(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    checks = run_checks(module.params, run)
    result = dict(changed=False, **report(checks))
    for check in checks:
        if "reboot_required" in check:
            result["reboot_required"] = check["reboot_required"]
        if "installed" in check:
            result["installed"] = check["installed"]
    if result["failed_checks"] and module.params["fail_on_unhealthy"]:
        module.fail_json(msg="unhealthy: " + failure_detail(checks), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
