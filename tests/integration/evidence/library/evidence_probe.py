#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: returns a change record shaped like the patch modules' results, without touching the host."""

from __future__ import annotations

DOCUMENTATION = r"""
module: evidence_probe
short_description: Return a synthetic change record (tests and benchmarks of the evidence callback)
description: Returns C(layer), C(changes) and C(rollback) as a patch module would, without changing anything.
options:
  component: {description: Component name, type: str, default: lab-agent}
  before: {description: Version before, type: str, default: "1.0-1"}
  after: {description: Version after, type: str, default: "1.1-1"}
  layer: {description: Layer, type: str, default: os}
  state: {description: C(rolled_back) marks a rollback, type: str, default: present}
  fail: {description: Fail after building the record, type: bool, default: false}
  sleep: {description: Seconds to sleep first, type: float, default: 0}
  secret: {description: A value that must never reach the evidence, type: str, no_log: true}
author: everylayer.patch contributors
"""

import time

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            component=dict(type="str", default="lab-agent"),
            before=dict(type="str", default="1.0-1"),
            after=dict(type="str", default="1.1-1"),
            layer=dict(type="str", default="os"),
            state=dict(type="str", default="present"),
            fail=dict(type="bool", default=False),
            sleep=dict(type="float", default=0),
            secret=dict(type="str", no_log=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["sleep"]:
        time.sleep(params["sleep"])
    change = {
        "component": params["component"],
        "kind": "package",
        "before": params["before"],
        "after": params["after"],
        "advisories": ["CVE-2026-0001"],
        "severity": "high",
        "reboot_required": False,
    }
    result = dict(
        changed=True,
        layer=params["layer"],
        changes=[change],
        pending=[],
        reboot_required=False,
        rollback={"strategy": "packages", "data": {params["component"]: params["before"]}},
        connection_info={"password": "hunter2-not-a-real-one", "nested": [{"api_token": "tok-123"}]},
    )
    if params["fail"]:
        module.fail_json(msg=f"{params['component']} failed to install", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
