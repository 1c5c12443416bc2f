"""Lab service ``netdev``: simulated network devices (lab.netsim), one SSH+SCP process per device.

Devices listen on 127.0.0.1:2300+i (shifted with the lab's port base). The service directory holds one
directory per device (``flash/``, ``state.json``, ``faults.json``, host key), a ``known_hosts`` with every
device's host key (given to Ansible through ``ansible_ssh_common_args``, so host keys are verified), the
login password (mode 0600) and ``images/``: the image each platform can be upgraded to.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

from lab import procs
from lab.netsim import images
from lab.netsim.device import COUNTED, FAULTS, inject
from lab.services import LabContext, LabService

FIRST_PORT = 2300
ARGS = {*COUNTED, "slow-hash"}
DEVICES = (
    ("lab-ios-01", "cisco_ios", "medium"),
    ("lab-nxos-01", "cisco_nxos", "high"),
    ("lab-eos-01", "arista_eos", "medium"),
    ("lab-junos-01", "juniper_junos", "high"),
)
USER = "admin"
VENDOR = {"cisco_ios": "cisco", "cisco_nxos": "cisco", "arista_eos": "arista", "juniper_junos": "juniper"}


def host_key(path: Path) -> str:
    """Make the device's host key if missing; return its public key line (type and base64)."""
    import asyncssh  # noqa: PLC0415 - only the lab venv needs it

    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(str(path))
        key.write_public_key(str(path) + ".pub")
    return " ".join(Path(str(path) + ".pub").read_text().split()[:2])


class NetdevService(LabService):
    name = "netdev"
    faults = {name: f"{name} DEVICE{' [N]' if name in ARGS else ''}: {text}" for name, text in FAULTS.items()}
    faults["hang-command"] = f"hang-command DEVICE [COMMAND]: {FAULTS['hang-command']}"
    faults["clear"] = "clear DEVICE: clear every fault (a device stuck in a reload comes back)"
    faults["baseline"] = (
        "baseline DEVICE: power-cycle the device to its first boot (baseline image, fresh flash, no faults)"
    )

    def root(self, ctx: LabContext) -> Path:
        return ctx.service_dir(self.name)

    def ports(self, ctx: LabContext) -> dict[str, int]:
        base = FIRST_PORT + (ctx.port_base - 2200)
        return {name: base + index for index, (name, _p, _c) in enumerate(DEVICES)}

    def password(self, ctx: LabContext) -> Path:
        path = self.root(ctx) / "password"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(18) + "\n")
        return path

    def target_images(self, ctx: LabContext) -> dict[str, tuple[Path, str]]:
        directory = self.root(ctx) / "images"
        out = {}
        for platform, (_old, (name, version)) in images.CATALOG.items():
            path = directory / name
            if not path.exists():
                images.make_image(path, platform, version)
            out[platform] = (path, version)
        return out

    def up(self, ctx: LabContext) -> list[dict[str, Any]]:
        root = self.root(ctx)
        password = self.password(ctx)
        targets = self.target_images(ctx)
        ports = self.ports(ctx)
        known = []
        for name, platform, _crit in DEVICES:
            directory = root / name
            directory.mkdir(parents=True, exist_ok=True)
            key = directory / "ssh_host_ed25519_key"
            known.append(f"[127.0.0.1]:{ports[name]} {host_key(key)}")
            if ctx.pid(name) is None:
                argv = [
                    sys.executable,
                    "-m",
                    "lab.netsim",
                    "--platform",
                    platform,
                    "--name",
                    name,
                    "--port",
                    str(ports[name]),
                    "--dir",
                    str(directory),
                    "--user",
                    USER,
                    "--password-file",
                    str(password),
                    "--host-key",
                    str(key),
                ]
                ctx.spawn(name, argv, cwd=ctx.repo_root, log=root / f"{name}.log")
        (root / "known_hosts").write_text("\n".join(known) + "\n")
        for name, port in ports.items():
            procs.wait_for_port("127.0.0.1", port, 15, name=f"lab service netdev: {name}", log=root / f"{name}.log")
        secret = password.read_text().strip()
        return [
            self._asset(ctx, name, platform, crit, ports[name], secret, targets[platform])
            for name, platform, crit in DEVICES
        ]

    def _asset(
        self,
        ctx: LabContext,
        name: str,
        platform: str,
        criticality: str,
        port: int,
        secret: str,
        target: tuple[Path, str],
    ) -> dict[str, Any]:
        state = self.device_state(ctx, name)
        return {
            "name": name,
            "address": "127.0.0.1",
            "port": port,
            "layers": ["network"],
            "platform": {
                "network_os": platform,
                "distribution": VENDOR[platform],
                "version": state.get("version"),
                "package_manager": None,
            },
            "criticality": criticality,
            "exposure": "internal",
            "owner": "network",
            "environment": "lab",
            "maintenance_window": None,
            "wave": None,
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,  # a literal: asset-map vars are not templated
                "ansible_host": "127.0.0.1",
                "ansible_port": port,
                "ansible_user": USER,
                "ansible_password": secret,
                "ansible_network_os": platform,
                "ansible_ssh_common_args": f"-o UserKnownHostsFile={self.root(ctx) / 'known_hosts'}",
                "everylayer_network_image": str(target[0]),
                "everylayer_network_image_version": target[1],
                "everylayer_netdev_state": str(self.root(ctx) / name / "state.json"),
            },
        }

    def device_state(self, ctx: LabContext, name: str) -> dict[str, Any]:
        try:
            return json.loads((self.root(ctx) / name / "state.json").read_text())
        except (OSError, ValueError):
            return {}

    def down(self, ctx: LabContext) -> None:
        for name, _platform, _crit in DEVICES:
            ctx.kill(name)

    def status(self, ctx: LabContext) -> dict[str, Any]:
        report = {}
        ports = self.ports(ctx)
        for name, platform, _crit in DEVICES:
            state = self.device_state(ctx, name)
            faults = {}
            try:
                faults = json.loads((self.root(ctx) / name / "faults.json").read_text())
            except (OSError, ValueError):
                pass
            report[name] = {
                "pid": ctx.pid(name),
                "port": ports[name],
                "platform": platform,
                "up": state.get("up"),
                "version": state.get("version"),
                "image": state.get("image"),
                "boot": state.get("boot"),
                "faults": sorted(faults),
            }
        return report

    def inject(self, ctx: LabContext, fault: str, target: str, args: list[str]) -> str:
        names = [name for name, _p, _c in DEVICES]
        if target not in names:
            raise ValueError(f"unknown device {target!r}; the lab has {', '.join(names)}")
        if fault == "baseline":
            return self._baseline(ctx, target)
        return "netdev " + inject(self.root(ctx) / target, fault, args)

    def _baseline(self, ctx: LabContext, name: str) -> str:
        """Stop the device, wipe its flash, state and faults, and start it again: it boots as on the lab's first day."""
        ctx.kill(name)
        directory = self.root(ctx) / name
        shutil.rmtree(directory / "flash", ignore_errors=True)
        for leftover in ("state.json", "state.tmp", "faults.json"):
            (directory / leftover).unlink(missing_ok=True)
        self.up(ctx)
        state = self.device_state(ctx, name)
        return f"netdev {name}: back at its baseline ({state.get('version')}, {state.get('image')})"


SERVICE = NetdevService()
