"""ansible.builtin.reboot against a lab host: a real disconnect, then a new boot id."""

from __future__ import annotations

import json
import re
import time

import pytest
from lab_testlib import lab_cli

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def test_reboot_changes_boot_id(lab, tmp_path):
    host = lab.first("apt", 2)
    result = lab.playbook(
        tmp_path,
        f"""\
        - name: Reboot one lab host
          hosts: {host}
          gather_facts: false
          tasks:
            - name: Boot id before
              ansible.builtin.slurp:
                src: /proc/sys/kernel/random/boot_id
              register: before
            - name: Reboot
              ansible.builtin.reboot:
                reboot_timeout: 120
              register: rebooted
            - name: Boot id after
              ansible.builtin.slurp:
                src: /proc/sys/kernel/random/boot_id
              register: after
            - name: Report
              ansible.builtin.debug:
                msg: "BOOT {{{{ before.content | b64decode | trim }}}} {{{{ after.content | b64decode | trim }}}} REBOOTED {{{{ rebooted.rebooted }}}}"
        """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"BOOT (\S+) (\S+) REBOOTED (\w+)", result.stdout)
    assert match, result.stdout
    before, after, rebooted = match.groups()
    assert rebooted == "True"
    assert before != after
    assert re.fullmatch(r"[0-9a-f-]{36}", after)


def test_fault_reboot_from_outside_changes_boot_id(lab, tmp_path):
    host = lab.first("dnf", 2)
    boot_id = lab.root(host) / "proc/sys/kernel/random/boot_id"
    before = boot_id.read_text().strip()
    lab_cli("fault", "reboot", host)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = json.loads(lab_cli("status", "--json").stdout)
        state = {h["name"]: h["state"] for h in status["hosts"]}[host]
        if state == "up" and boot_id.exists() and boot_id.read_text().strip() != before:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"{host} did not come back with a new boot id")
    assert lab.ping(tmp_path, host).returncode == 0
