"""Lab service ``winhost``: one simulated Windows host (lab.winsim) with WinRM over HTTP + NTLM sealing.

On by default (``EVERYLAYER_LAB_WINDOWS=0`` leaves it out): its host is an asset of layer ``windows`` in the pilot
wave of the lab's asset map, so a lab rollout patches it with the other layers (docs/windows.md). Port 5985, shifted
by 100 per 10 of the lab's port base like the BMCs. Faults: ``python -m lab fault winhost <fault> lab-win-01 [args]``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from lab import procs
from lab.services import LabContext, LabService
from lab.winsim.wua import initial_state

NAME = "lab-win-01"
FIRST_PORT = 5985
USER = "ansible"
PASSWORD = "Lab-Passw0rd!"  # noqa: S105 - the simulated host's own lab account


class WinHostService(LabService):
    name = "winhost"
    faults = {
        "download-fail": "download-fail lab-win-01 KB HRESULT: downloading KB fails with HRESULT (e.g. 0x80240438)",
        "install-fail": "install-fail lab-win-01 KB HRESULT: installing KB fails with HRESULT (e.g. 0x80070070)",
        "drop-during-install": "drop-during-install lab-win-01: the next install finishes but WinRM drops the answer",
        "reboot-never-returns": "reboot-never-returns lab-win-01: after the next reboot the listener never answers",
        "reappear-after-reboot": "reappear-after-reboot lab-win-01 KB: KB fails during boot and is applicable again",
        "clear": "clear lab-win-01: clear every fault (a host stuck in a reboot comes back)",
        "baseline": "baseline lab-win-01: back to the catalogue with nothing installed, no history, no fault",
    }

    def __init__(self, port: int | None = None):
        self._fixed_port = port

    @staticmethod
    def enabled() -> bool:
        return os.environ.get("EVERYLAYER_LAB_WINDOWS", "1") != "0"

    def _port(self, ctx: LabContext) -> int:
        return self._fixed_port or FIRST_PORT + (ctx.port_base - 2200) // 10 * 100

    def _state_path(self, ctx: LabContext):
        return ctx.service_dir(self.name) / NAME / "state.json"

    def up(self, ctx: LabContext) -> list[dict[str, Any]]:
        if not self.enabled():
            return []
        directory = ctx.service_dir(self.name) / NAME
        directory.mkdir(parents=True, exist_ok=True)
        if not self._state_path(ctx).exists():
            self._state_path(ctx).write_text(json.dumps(initial_state(), indent=1))
        port = self._port(ctx)
        if ctx.pid(NAME) is None:
            argv = [
                sys.executable,
                "-m",
                "lab.winsim",
                "--port",
                str(port),
                "--dir",
                str(directory),
                "--user",
                USER,
                "--password",
                PASSWORD,
            ]
            ctx.spawn(NAME, argv, cwd=ctx.repo_root, log=directory / "winsim.log")
        procs.wait_for_port("127.0.0.1", port, 15, name="lab service winhost", log=directory / "winsim.log")
        return [
            {
                "name": NAME,
                "address": "127.0.0.1",
                "port": port,
                "layers": ["windows"],
                "groups": ["windows"],
                "platform": {"distribution": "windows", "version": "2019", "package_manager": "windows_update"},
                "criticality": "low",
                "exposure": "internal",
                "owner": "lab",
                "environment": "lab",
                "maintenance_window": "always",
                # the lab's only Windows host: in pilot, so the rollout freezes the update ids it installs
                "wave": "pilot",
                "vars": {
                    "ansible_connection": "winrm",
                    "ansible_shell_type": "powershell",
                    "ansible_user": f"LAB-WIN-01\\{USER}",
                    "ansible_password": PASSWORD,
                    "ansible_winrm_transport": "ntlm",
                    "ansible_winrm_scheme": "http",
                    "ansible_winrm_message_encryption": "always",
                },
            }
        ]

    def down(self, ctx: LabContext) -> None:
        ctx.kill(NAME)

    def status(self, ctx: LabContext) -> dict[str, Any]:
        if not self.enabled() and ctx.pid(NAME) is None:
            return {NAME: "disabled (EVERYLAYER_LAB_WINDOWS=0)"}
        return {NAME: "running" if ctx.pid(NAME) else "stopped"}

    def inject(self, ctx: LabContext, fault: str, target: str, args: list[str]) -> str:
        if target != NAME:
            raise ValueError(f"service winhost has no host {target!r}; hosts: {NAME}")
        path = self._state_path(ctx)
        if not path.exists():
            raise ValueError("service winhost is not up (python -m lab up, without EVERYLAYER_LAB_WINDOWS=0)")
        state = json.loads(path.read_text())
        faults = state["faults"]
        if fault in ("download-fail", "install-fail"):
            if len(args) != 2:
                raise ValueError(f"{fault} needs a KB and an HRESULT, e.g. {fault} {NAME} KB4487038 0x80240438")
            faults.setdefault(fault.replace("-", "_"), {})[args[0]] = args[1]
        elif fault == "drop-during-install":
            faults["drop_during_install"] = int(faults.get("drop_during_install", 0)) + 1
        elif fault == "reboot-never-returns":
            faults["reboot_never_returns"] = True
        elif fault == "reappear-after-reboot":
            if len(args) != 1:
                raise ValueError(f"reappear-after-reboot needs a KB, e.g. reappear-after-reboot {NAME} KB5099001")
            faults.setdefault("reappear_after_reboot", []).append(args[0])
        elif fault == "clear":
            state["faults"], state["rebooting_until"] = {}, 0
        elif fault == "baseline":  # the demo's reset: a fresh host, same boot id and reboot time as now
            state = dict(initial_state(), boot_id=state["boot_id"], reboot_seconds=state.get("reboot_seconds", 1.0))
        else:
            raise ValueError(f"service winhost has no fault {fault!r}; faults: {', '.join(self.faults)}")
        path.write_text(json.dumps(state, indent=1))
        return f"winhost {target}: {fault} {' '.join(args)}".rstrip()


SERVICE = WinHostService()
