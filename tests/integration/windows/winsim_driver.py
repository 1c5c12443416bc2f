"""Run a playbook of tests/integration/windows/playbooks against simulated Windows hosts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lab.winsim import testing

HERE = Path(__file__).resolve().parent
REPO = testing.REPO


def run_playbook(name: str, hosts: dict[str, dict], tmp_path: Path, **extra_vars) -> subprocess.CompletedProcess:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(testing.inventory_yaml(hosts))
    args = [str(REPO / ".venv/bin/ansible-playbook"), "-i", str(inventory), str(HERE / "playbooks" / name)]
    for key, value in extra_vars.items():
        args += ["-e", f"{key}={value}"]
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "0",
    }
    return subprocess.run(args, capture_output=True, text=True, cwd=REPO, env=env, timeout=300, check=False)
