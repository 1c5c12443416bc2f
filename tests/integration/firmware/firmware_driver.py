"""Helpers that drive everylayer.patch.firmware through real ansible-playbook runs.

Redfish tests get a fresh BMC simulator each (lab.bmcsim.testing: free ports, own CA), so they restore
nothing; the lab's own BMCs and the fwupd host (python -m lab up) are exercised by the ``lab`` tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lab.bmcsim import testing  # noqa: E402

ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
PLAYBOOKS = Path(__file__).parent / "playbooks"
FAST = {"poll_interval": 0.2, "timeout": 60}


def run_playbook(
    run_dir: Path, playbook: Path, inventory: Path | str, extra_vars: dict | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    if not ANSIBLE_PLAYBOOK.exists():
        pytest.fail(f"ansible-playbook is missing next to {sys.executable}: run make setup")
    argv = [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(playbook)]
    if extra_vars:
        (run_dir / "extra.json").write_text(json.dumps(extra_vars))
        argv += ["-e", f"@{run_dir / 'extra.json'}"]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    (run_dir / "output.txt").write_text(proc.stdout + proc.stderr)
    if check:
        assert proc.returncode == 0, (
            f"ansible-playbook failed (rc {proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
        )
    return proc


class Driver:
    """Runs module steps in one generated playbook and returns every registered result."""

    def __init__(self, tmp_path: Path, host: str, hostvars: dict, inventory: Path | None = None):
        self.tmp = tmp_path
        self.host = host
        self.hostvars = hostvars
        self.inventory = inventory
        self.runs = 0

    def play(self, *steps: dict) -> list[dict]:
        """A step is the module's arguments plus optional ``_check: true`` (check mode + diff)."""
        self.runs += 1
        run_dir = self.tmp / f"run{self.runs}"
        run_dir.mkdir(parents=True)
        tasks = []
        for index, step in enumerate(steps):
            args = {k: v for k, v in step.items() if not k.startswith("_")}
            task = {
                "name": f"step {index}",
                "everylayer.patch.firmware": args,
                "register": f"r{index}",
                "ignore_errors": True,
                "diff": True,
            }
            if step.get("_check"):
                task["check_mode"] = True
            tasks.append(task)
        names = ", ".join(f"'r{i}': r{i}" for i in range(len(steps)))
        tasks.append(
            {
                "name": "save results",
                "delegate_to": "localhost",
                "ansible.builtin.copy": {
                    "content": "{{ {" + names + "} | to_nice_json }}",
                    "dest": str(run_dir / "results.json"),
                    "mode": "0600",
                },
            }
        )
        play = [{"name": "firmware", "hosts": self.host, "gather_facts": False, "tasks": tasks}]
        (run_dir / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
        inventory = self.inventory
        if inventory is None:
            inventory = run_dir / "hosts.yml"
            inventory.write_text(yaml.safe_dump({"all": {"hosts": {self.host: self.hostvars}}}))
        proc = run_playbook(run_dir, run_dir / "play.yml", inventory, check=False)
        results = run_dir / "results.json"
        assert results.exists(), f"ansible-playbook did not finish (rc {proc.returncode}):\n{proc.stdout[-4000:]}"
        data = json.loads(results.read_text())
        return [data[f"r{i}"] for i in range(len(steps))]


def bmc_hostvars(bmc: testing.RunningBmc) -> dict:
    """The same variables the lab's bmc service puts in the generated inventory."""
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "everylayer_bmc_baseuri": bmc.baseuri,
        "everylayer_bmc_username": "admin",
        "everylayer_bmc_password": "lab-bmc-password",
        "everylayer_bmc_ca_path": bmc.ca_path,
        "everylayer_firmware_image_base": bmc.image_base,
        "everylayer_firmware_image_dir": str(bmc.image_dir),
    }


def connection(**extra) -> dict:
    """Module arguments that point at the BMC through the inventory variables."""
    args = {
        "backend": "redfish",
        "baseuri": "{{ everylayer_bmc_baseuri }}",
        "username": "{{ everylayer_bmc_username }}",
        "password": "{{ everylayer_bmc_password }}",
        "ca_path": "{{ everylayer_bmc_ca_path }}",
        "use_proxy": False,
        **FAST,
    }
    args.update(extra)
    return args
