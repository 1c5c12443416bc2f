"""Start a simulated Windows host as a child process on a free port of a range, for tests and the lab."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from lab.bmcsim import pki

from .wua import initial_state

REPO = Path(__file__).resolve().parents[2]


def free_port(first: int = 4000, last: int = 4099) -> int:
    for port in range(first, last + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{last}")


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
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


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
    for _attempt in range(5):
        port = free_port(first_port, last_port)
        log = (directory / "winsim.log").open("ab")
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
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return RunningHost(directory, port, user, password, proc, ca_path)
            except OSError:
                time.sleep(0.05)
        proc.kill()
        proc.wait(5)
    raise RuntimeError(f"the Windows host simulator did not start; see {directory / 'winsim.log'}")


def inventory_yaml(hosts: dict[str, dict]) -> str:
    """A YAML inventory (group ``windows``) for hosts given as ``{name: hostvars}``."""
    return yaml.safe_dump({"windows": {"hosts": hosts}}, sort_keys=False)
