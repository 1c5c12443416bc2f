"""Start a simulated Windows host as a child process on a free port of a range, for tests and the lab."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from lab import procs
from lab.bmcsim import pki

from .wua import initial_state

REPO = Path(__file__).resolve().parents[2]


def free_port(first: int = 4000, last: int = 4099) -> int:
    """A free port of the simulated Windows hosts' range."""
    return procs.free_port(first, last)


@dataclass
class RunningHost:
    directory: Path
    port: int
    user: str
    password: str
    proc: subprocess.Popen
    ca_path: Path | None = None

    @property
    def state_path(self) -> Path:
        return self.directory / "state.json"

    def state(self) -> dict:
        return json.loads(self.state_path.read_text())

    def update(self, **changes) -> dict:
        """Change the model's state between runs (faults, installed updates...)."""
        state = self.state()
        state.update(changes)
        self.state_path.write_text(json.dumps(state, indent=1))
        return state

    def calls(self) -> list[str]:
        path = self.directory / "calls.log"
        return path.read_text().splitlines() if path.exists() else []

    def hostvars(self) -> dict:
        return {
            "ansible_host": "127.0.0.1",
            "ansible_port": self.port,
            "ansible_user": f"LAB-WIN-01\\{self.user}",
            "ansible_password": self.password,
            "ansible_connection": "winrm",
            "ansible_winrm_transport": "ntlm",
            "ansible_winrm_scheme": "http",
            "ansible_winrm_message_encryption": "always",
            "ansible_shell_type": "powershell",
        }

    def https_hostvars(self) -> dict:
        """Basic auth over HTTPS, the certificate checked against the lab CA (validation is on by default)."""
        return {
            **self.hostvars(),
            "ansible_user": self.user,
            "ansible_winrm_transport": "basic",
            "ansible_winrm_scheme": "https",
            "ansible_winrm_message_encryption": "auto",
            "ansible_winrm_ca_trust_path": str(self.ca_path),
        }

    def stop(self) -> None:
        procs.stop(self.proc, grace=5, kill_wait=5)


def start(
    directory: Path,
    *,
    catalogue: list | None = None,
    first_port: int = 4000,
    last_port: int = 4099,
    user: str = "ansible",
    password: str = "Lab-Passw0rd!",  # noqa: S105,S107 - the lab host's own account
    reboot_seconds: float = 1.0,
    tls: bool = False,
) -> RunningHost:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = initial_state(catalogue)
    state["reboot_seconds"] = reboot_seconds
    (directory / "state.json").write_text(json.dumps(state, indent=1))
    tls_args, ca_path = [], None
    if tls:
        ca_path, ca_key = pki.ensure_ca(directory / "pki")
        cert, key = pki.ensure_server_cert(directory / "pki", "winhost", ca_path, ca_key)
        tls_args = ["--tls-cert", str(cert), "--tls-key", str(key)]
    log_path, failure = directory / "winsim.log", None
    for _attempt in range(5):  # another process may take the free port before the simulator binds it
        port = free_port(first_port, last_port)
        log = log_path.open("ab")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lab.winsim",
                "--port",
                str(port),
                "--dir",
                str(directory),
                "--user",
                user,
                "--password",
                password,
                *tls_args,
            ],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        try:
            procs.wait_for_port(
                "127.0.0.1", port, 15, proc, name="the Windows host simulator", log=log_path, interval=0.05
            )
        except procs.ProcessError as exc:
            procs.stop(proc, grace=0, kill_wait=5)
            failure = exc
            continue
        return RunningHost(directory, port, user, password, proc, ca_path)
    raise procs.ProcessError(f"the Windows host simulator did not start in 5 attempts; the last: {failure}")


def inventory_yaml(hosts: dict[str, dict]) -> str:
    """A YAML inventory (group ``windows``) for hosts given as ``{name: hostvars}``."""
    return yaml.safe_dump({"windows": {"hosts": hosts}}, sort_keys=False)
