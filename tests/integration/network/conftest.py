"""Drive everylayer.patch.network_image through real ansible-playbook runs against simulated devices.

Each test gets fresh simulators (lab.netsim.testing.SimDevice, free ports, own directories), so tests
restore nothing and can run in parallel; the lab-wide devices (python -m lab up) are tested separately.
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

from lab.netsim import images  # noqa: E402
from lab.netsim.testing import SimDevice  # noqa: E402

ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
FAST = {"reload_poll_interval": 1, "reload_timeout": 60}


class Driver:
    def __init__(self, tmp_path: Path, sim: SimDevice) -> None:
        self.tmp = tmp_path
        self.sim = sim
        self.runs = 0
        old, new = images.CATALOG[sim.platform]
        self.old_file, self.old_version = old
        self.new_file, self.new_version = new
        self.image = images.make_image(tmp_path / "images" / self.new_file, sim.platform, self.new_version)

    def upgrade_args(self, **extra) -> dict:
        return {"state": "upgraded", "image": str(self.image), "version": self.new_version, **FAST, **extra}

    def play(
        self,
        *steps: dict,
        host_vars: dict | None = None,
        drop_vars: tuple[str, ...] = (),
        argv: tuple[str, ...] = (),
        env: dict | None = None,
        play_keywords: dict | None = None,
    ) -> list[dict]:
        """Run one playbook of network_image tasks; return every task's registered result, in order.

        A step is the module's arguments, plus optional ``_check: true`` (check mode + diff) and ``_task`` (task
        keywords such as become or vars). ``drop_vars`` removes
        inventory variables (to test other credential sources), ``argv``/``env`` go to ansible-playbook."""
        self.runs += 1
        run_dir = self.tmp / f"run{self.runs}"
        run_dir.mkdir()
        tasks = []
        for index, step in enumerate(steps):
            args = {k: v for k, v in step.items() if not k.startswith("_")}
            task = {
                "name": f"step {index}",
                "everylayer.patch.network_image": args,
                "register": f"r{index}",
                "ignore_errors": True,
            }
            if step.get("_check"):
                task.update(check_mode=True, diff=True)
            task.update(step.get("_task", {}))  # task keywords: become, vars, ...
            tasks.append(task)
        names = ", ".join(f"'r{i}': r{i}" for i in range(len(steps)))
        tasks.append(
            {
                "name": "save results",
                "ansible.builtin.copy": {
                    "content": "{{ {" + names + "} | to_nice_json }}",
                    "dest": str(run_dir / "results.json"),
                    "mode": "0600",
                },
            }
        )
        (run_dir / "play.yml").write_text(
            yaml.safe_dump(
                [
                    {
                        "name": "network image",
                        "hosts": "all",
                        "gather_facts": False,
                        **(play_keywords or {}),
                        "tasks": tasks,
                    }
                ],
                sort_keys=False,
            )
        )
        hostvars = dict(self.sim.inventory_vars(), **(host_vars or {}))
        for name in drop_vars:
            hostvars.pop(name, None)
        (run_dir / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {self.sim.name: hostvars}}}))
        # credentials come only from what the test gives: no ANSIBLE_NET_* or SSH agent of the caller
        run_env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_NET_") and k != "SSH_AUTH_SOCK"}
        run_env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        run_env.update(env or {})
        proc = subprocess.run(
            [str(ANSIBLE_PLAYBOOK), "-i", str(run_dir / "hosts.yml"), *argv, str(run_dir / "play.yml")],
            cwd=REPO,
            env=run_env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        (run_dir / "output.txt").write_text(proc.stdout + proc.stderr)
        results_file = run_dir / "results.json"
        assert results_file.exists(), (
            f"ansible-playbook did not finish (rc {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
        )
        results = json.loads(results_file.read_text())
        return [results[f"r{i}"] for i in range(len(steps))]


@pytest.fixture
def device(tmp_path, request):
    """A Driver around a fresh simulator; parametrize indirectly with the platform name, or with a dict of
    SimDevice options plus ``platform`` (e.g. an IOS-XE stack in install mode with an enable secret)."""
    param = getattr(request, "param", "cisco_ios")
    options = dict(param) if isinstance(param, dict) else {"platform": param}
    platform = options.pop("platform", "cisco_ios")
    if not ANSIBLE_PLAYBOOK.exists():
        pytest.fail(f"ansible-playbook is missing next to {sys.executable}: run make setup")
    key = None
    if options.pop("keys", False):  # a key pair the device accepts (publickey authentication)
        key = tmp_path / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        options["authorized_keys"] = Path(f"{key}.pub")
    with SimDevice(tmp_path / "sim", platform, reload_delay=options.pop("reload_delay", 1.5), **options) as sim:
        driver = Driver(tmp_path, sim)
        driver.key = key
        yield driver
