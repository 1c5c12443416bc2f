"""Lab service ``fwupd``: the real fwupd daemon with its test devices inside one Linux lab host.

The host's chroot gets its own D-Bus system bus (a private dbus-daemon listening on the standard
``/run/dbus/system_bus_socket`` inside the chroot, so plain SSH sessions find it; the address is also
written to /etc/environment and /etc/profile.d) and fwupd with ``TestDevices=true`` and
``OnlyTrusted=false``: the fake webcam starts at 1.2.2 and the fwupd-tests remote offers 1.2.3 and 1.2.4.
Restarting the daemon (fault ``restart``) puts the fake device back to 1.2.2. A host reset or a simulated
reboot can kill the bus and the daemon: ``python -m lab fault fwupd clear HOST`` (or ``lab up``) brings both back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lab.services import LabContext, LabService

BUS_DIR = "run/dbus"
BUS_ADDRESS = "unix:path=/run/dbus/system_bus_socket"
DAEMON = "usr/libexec/fwupd/fwupd"
TEST_DEVICE = "08d460be0f1f9f128413f816022a6439e0078018"
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <policy user="root">
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


def pick_host(hosts: dict[str, Path]) -> str | None:
    """The last apt host (fwupd is a Debian package in the lab's base; the first apt hosts see the most
    reboots and resets from other tests), else the last host."""
    names = sorted(hosts)
    apt = [n for n in names if "apt" in n]
    return (apt or names or [None])[-1]


def _set_ini(path: Path, section: str, values: dict[str, str]) -> None:
    lines = path.read_text().splitlines() if path.exists() else []
    if f"[{section}]" not in lines:
        lines.append(f"[{section}]")
    lines = [ln for ln in lines if ln.split("=", 1)[0].strip() not in values]
    at = lines.index(f"[{section}]") + 1
    lines[at:at] = [f"{k}={v}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n")


class FwupdService(LabService):
    name = "fwupd"
    faults = {
        "restart": "restart HOST: restart fwupd (the fake device returns to 1.2.2); same as clear",
        "daemon-down": "daemon-down HOST: stop fwupd (fwupdmgr cannot reach the daemon)",
        "clear": "clear HOST: (re)start fwupd so the fake device is back at 1.2.2",
    }

    def _prepare(self, root: Path) -> None:
        (root / "etc/everylayer").mkdir(parents=True, exist_ok=True)
        (root / "etc/everylayer/fwupd-bus.conf").write_text(BUS_CONFIG.format(address=BUS_ADDRESS))
        (root / BUS_DIR).mkdir(parents=True, exist_ok=True)
        _set_ini(root / "etc/fwupd/fwupd.conf", "fwupd", {"TestDevices": "true", "OnlyTrusted": "false"})
        for remote in ("lvfs", "lvfs-testing", "vendor-directory"):  # offline lab: no network remotes
            conf = root / "etc/fwupd/remotes.d" / f"{remote}.conf"
            if conf.exists():
                _set_ini(conf, "fwupd Remote", {"Enabled": "false"})
        env = root / "etc/environment"
        lines = [
            ln
            for ln in (env.read_text().splitlines() if env.exists() else [])
            if not ln.startswith("DBUS_SYSTEM_BUS_ADDRESS=")
        ]
        env.write_text("\n".join([*lines, f"DBUS_SYSTEM_BUS_ADDRESS={BUS_ADDRESS}"]) + "\n")
        (root / "etc/profile.d").mkdir(parents=True, exist_ok=True)
        (root / "etc/profile.d/everylayer-fwupd.sh").write_text(f"export DBUS_SYSTEM_BUS_ADDRESS={BUS_ADDRESS}\n")

    def _start_daemon(self, ctx: LabContext, host: str, root: Path) -> None:
        log = ctx.service_dir(self.name) / "fwupd.log"
        # A small keeper loop restarts fwupd if it dies on its own (as systemd would); killing the
        # recorded process group (restart, daemon-down, down) stops both.
        keeper = f"while :; do /usr/bin/env DBUS_SYSTEM_BUS_ADDRESS={BUS_ADDRESS} FWUPD_POLKIT_NOCHECK=1 /{DAEMON}; sleep 1; done"
        ctx.spawn("fwupd", ["chroot", str(root), "/bin/sh", "-c", keeper], log=log)
        # fwupd is ready once its test device answers through the real client
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._device_version(root) is not None:
                return
            time.sleep(0.5)
        raise RuntimeError(f"lab service fwupd: fwupd in {host} did not come up (see {log})")

    @staticmethod
    def _device_version(root: Path) -> str | None:
        proc = subprocess.run(
            [
                "chroot",
                str(root),
                "/usr/bin/env",
                f"DBUS_SYSTEM_BUS_ADDRESS={BUS_ADDRESS}",
                "fwupdmgr",
                "get-devices",
                TEST_DEVICE,
                "--json",
                "--no-unreported-check",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        try:
            devices = json.loads(proc.stdout[proc.stdout.find("{") :]).get("Devices") or []
        except ValueError:
            return None
        return devices[0].get("Version") if devices else None

    def _ensure(self, ctx: LabContext, host: str, root: Path) -> None:
        """Config files, bus and daemon in place; a new bus (e.g. after a host reset) means a new fwupd."""
        self._prepare(root)
        if ctx.pid("fwupd-dbus") is None:
            ctx.kill("fwupd")
            socket = root / BUS_DIR / "system_bus_socket"
            if socket.exists() or socket.is_symlink():
                socket.unlink()
            argv = [
                "chroot",
                str(root),
                "dbus-daemon",
                "--config-file=/etc/everylayer/fwupd-bus.conf",
                "--nofork",
                "--nopidfile",
            ]
            ctx.spawn("fwupd-dbus", argv, log=ctx.service_dir(self.name) / "dbus.log")
            deadline = time.monotonic() + 10
            while not socket.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        if ctx.pid("fwupd") is None:
            self._start_daemon(ctx, host, root)

    def up(self, ctx: LabContext) -> list[dict[str, Any]]:
        host = pick_host(ctx.hosts)
        if host is None:
            return []
        root = ctx.hosts[host]
        if not (root / DAEMON).exists():
            print(
                f"lab service fwupd: {host} has no fwupd (is fwupd in lab/base-packages.txt and the base rebuilt?)",
                file=sys.stderr,
            )
            return []
        marker = ctx.service_dir(self.name) / "host"
        if marker.exists() and marker.read_text() != host:  # the lab's hosts changed: move the daemon
            self.down(ctx)
        self._ensure(ctx, host, root)
        marker.write_text(host)
        return []  # the host is already an asset; fwupd only adds the firmware layer inside it

    def down(self, ctx: LabContext) -> None:
        ctx.kill("fwupd")
        ctx.kill("fwupd-dbus")

    def status(self, ctx: LabContext) -> dict[str, Any]:
        marker = ctx.service_dir(self.name) / "host"
        host = marker.read_text() if marker.exists() else None
        report: dict[str, Any] = {"host": host, "dbus_pid": ctx.pid("fwupd-dbus"), "fwupd_pid": ctx.pid("fwupd")}
        if host and host in ctx.hosts and report["fwupd_pid"]:
            report["test_device_version"] = self._device_version(ctx.hosts[host])
        return report

    def inject(self, ctx: LabContext, fault: str, target: str, args: list[str]) -> str:
        if target not in ctx.hosts:
            raise ValueError(f"unknown lab host {target!r}")
        marker = ctx.service_dir(self.name) / "host"
        if not marker.exists() or marker.read_text() != target:
            raise ValueError(f"fwupd runs in {marker.read_text() if marker.exists() else 'no host'}, not {target}")
        if fault not in self.faults:
            raise ValueError(f"service fwupd has no fault {fault!r}; faults: {', '.join(self.faults)}")
        ctx.kill("fwupd")
        if fault == "daemon-down":
            return f"fwupd stopped in {target}"
        self._ensure(ctx, target, ctx.hosts[target])
        return f"fwupd restarted in {target}: test device at {self._device_version(ctx.hosts[target])}"


SERVICE = FwupdService()
