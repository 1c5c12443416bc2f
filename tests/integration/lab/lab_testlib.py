"""Helpers for the lab's own integration tests: they drive the running lab through its CLI and Ansible.

The lab under test is the one of the current environment (EVERYLAYER_LAB_DIR, EVERYLAYER_LAB_PORT_BASE);
ports, keys and chroot roots come from inventories/lab/generated/. A lab that is not up fails the test
with a message saying how to start it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent


def lab_cli(
    *args: str, env: dict | None = None, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "lab", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        pytest.fail(f"python -m lab {' '.join(args)} failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


class LabHandle:
    """The running lab as the tests see it: its inventory, hosts and helpers to run Ansible against it."""

    def __init__(self, inventory_dir: Path):
        self.inventory_dir = inventory_dir
        self.hosts_yml = inventory_dir / "hosts.yml"
        self.data = json.loads((inventory_dir / "lab.json").read_text())
        self.info = self.data["lab"]
        self.assets = {a["name"]: a for a in self.data["assets"]}

    def root(self, host: str) -> Path:
        return Path(self.info["hosts"][host]["root"])

    def first(self, manager: str, n: int = 1) -> str:
        names = sorted(h for h, v in self.info["hosts"].items() if v["manager"] == manager)
        if len(names) < n:
            pytest.fail(f"the lab has no {n} {manager} host(s); run python -m lab up --hosts 6")
        return names[n - 1]

    def in_root(self, host: str, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(["chroot", str(self.root(host)), *argv], capture_output=True, text=True, check=False)

    def playbook(self, tmp_path: Path, text: str, *extra: str) -> subprocess.CompletedProcess:
        book = tmp_path / "play.yml"
        book.write_text(textwrap.dedent(text))
        env = dict(
            os.environ,
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_DEPRECATION_WARNINGS="0",
            PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        )
        argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(self.hosts_yml), str(book), *extra]
        return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)

    def ping(self, tmp_path: Path, host: str) -> subprocess.CompletedProcess:
        return self.playbook(
            tmp_path,
            f"""\
            - name: Ping one lab host
              hosts: {host}
              gather_facts: false
              tasks:
                - name: Ping
                  ansible.builtin.ping:
            """,
        )
