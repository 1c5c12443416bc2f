"""Helpers of the evidence integration tests: run the real ansible-playbook with the callback on localhost aliases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
INVENTORY = str(HERE / "inventory.yml")


def evidence_env(store, **extra):
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_CALLBACKS_ENABLED="everylayer.patch.evidence",
        ANSIBLE_LIBRARY=str(HERE / "library"),
        EVERYLAYER_EVIDENCE_STORE=str(store),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def write_playbook(path: Path, tasks: int, hosts="all", sleep=0.0, name="step") -> Path:
    lines = ["---", "- name: Evidence workload", f"  hosts: {hosts}", "  gather_facts: false", "  tasks:"]
    for i in range(1, tasks + 1):
        lines += [
            f"    - name: {name} {i}",
            "      evidence_probe:",
            f"        component: pkg-{i}",
            f"        sleep: {sleep}",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def playbook_cmd(playbook, *args):
    return [ANSIBLE_PLAYBOOK, "-i", INVENTORY, str(playbook), *args]


def run_playbook(playbook, store, *args, timeout=600, **env):
    return subprocess.run(
        playbook_cmd(playbook, *args),
        env=evidence_env(store, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(REPO),
        check=False,
    )
