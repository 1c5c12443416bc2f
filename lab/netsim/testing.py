"""Run simulated devices from tests, without the lab CLI: each on a free port in its own directory.

with SimDevice(tmp_path / "ios", "cisco_ios") as dev:
    dev.inventory_vars()  # ansible_host/port/user/password/network_os + known_hosts
    dev.fault("boot-fail"); dev.state()["version"]
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

from lab import procs

from .device import inject

REPO = Path(__file__).resolve().parents[2]


class LocalDevice:
    """A network device process on 127.0.0.1 for tests (this simulator, or the fake-switches peer): a context
    manager that starts and stops it, and the inventory vars that reach it with its host key pinned."""

    port: int
    password: str
    known_hosts: Path
    proc: subprocess.Popen | None
    #: the ansible_network_os that talks to it
    network_os: str

    def start(self) -> LocalDevice:
        raise NotImplementedError

    def stop(self) -> None:
        procs.stop(self.proc, grace=10)
        self.proc = None

    def __enter__(self) -> LocalDevice:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inventory_vars(self) -> dict[str, Any]:
        return {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "ansible_host": "127.0.0.1",
            "ansible_port": self.port,
            "ansible_user": "admin",
            "ansible_password": self.password,
            "ansible_network_os": self.network_os,
            "ansible_ssh_common_args": f"-o UserKnownHostsFile={self.known_hosts}",
        }


class SimDevice(LocalDevice):
    def __init__(
        self,
        root: Path,
        platform: str,
        name: str | None = None,
        reload_delay: float = 2.0,
        enable_secret: str | None = None,
        boot_mode: str = "bundle",
        stack: int = 1,
        authorized_keys: Path | None = None,
        password_auth: bool = True,
    ) -> None:
        self.enable_secret, self.boot_mode, self.stack = enable_secret, boot_mode, stack
        self.authorized_keys, self.password_auth = authorized_keys, password_auth
        self.root = Path(root)
        self.platform = self.network_os = platform
        self.name = name or f"sim-{platform.rsplit('_', maxsplit=1)[-1]}-01"
        self.reload_delay = reload_delay
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.password = secrets.token_urlsafe(12)
        self.device_dir = self.root / self.name
        self.known_hosts = self.root / "known_hosts"

    def start(self) -> SimDevice:
        self.root.mkdir(parents=True, exist_ok=True)
        pw = self.root / "password"
        pw.write_text(self.password + "\n")
        os.chmod(pw, 0o600)
        self.port = procs.free_port()
        argv = [
            sys.executable,
            "-m",
            "lab.netsim",
            "--platform",
            self.platform,
            "--name",
            self.name,
            "--port",
            str(self.port),
            "--dir",
            str(self.device_dir),
            "--password-file",
            str(pw),
            "--reload-delay",
            str(self.reload_delay),
            "--boot-mode",
            self.boot_mode,
            "--stack",
            str(self.stack),
        ]
        if self.enable_secret:
            secret = self.root / "enable_secret"
            secret.write_text(self.enable_secret + "\n")
            os.chmod(secret, 0o600)
            argv += ["--enable-secret-file", str(secret)]
        if self.authorized_keys:
            argv += ["--authorized-keys", str(self.authorized_keys)]
        if not self.password_auth:
            argv.append("--no-password")
        log = open(self.root / "sim.log", "ab")  # noqa: SIM115 - kept open for the process' life
        self.proc = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        self.wait_listening(20)
        pub = (self.device_dir / "ssh_host_ed25519_key.pub").read_text().split()[:2]
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {' '.join(pub)}\n")
        return self

    def wait_listening(self, timeout: float) -> None:
        procs.wait_for_port(
            "127.0.0.1", self.port, timeout, self.proc, name=f"simulator {self.name}", log=self.root / "sim.log"
        )

    def state(self) -> dict[str, Any]:
        return json.loads((self.device_dir / "state.json").read_text())

    def fault(self, fault: str, *args: str) -> str:
        return inject(self.device_dir, fault, list(args))
