# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The runner's target interface on top of an action plugin: module calls, reboot, reconnect over WinRM."""

from __future__ import annotations

import time

from ansible.errors import AnsibleConnectionFailure

from .runner import ConnectionLost, RebootTimeout

MODULE = "everylayer.patch.windows_updates"
#: what the controller runs on the host besides the module (the lab's simulator recognises exactly these)
REBOOT_SCRIPT = 'shutdown.exe /r /t 2 /c "everylayer.patch windows_updates"'
BOOT_ID_SCRIPT = "(Get-CimInstance -ClassName Win32_OperatingSystem).LastBootUpTime.ToFileTimeUtc()"
_TRANSPORT_MODULES = ("requests", "urllib3", "winrm", "http", "pypsrp", "psrp")


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, (AnsibleConnectionFailure, ConnectionError)):
        return True
    return type(exc).__module__.split(".")[0] in _TRANSPORT_MODULES


class ActionTarget:
    def __init__(self, action, task_vars: dict, *, poll_seconds: float = 1.0, sleep=time.sleep, clock=time.monotonic):
        self.action, self.task_vars = action, task_vars
        self.poll_seconds, self.sleep, self.clock = poll_seconds, sleep, clock

    def call(self, operation: str, **args) -> dict:
        module_args = {"operation": operation, **{k: v for k, v in args.items() if v not in (None, [], False)}}
        try:
            result = self.action._execute_module(module_name=MODULE, module_args=module_args, task_vars=self.task_vars)
        except Exception as exc:
            if _is_connection_error(exc):
                raise ConnectionLost(f"{operation}: {exc}") from exc
            raise
        if result.get("unreachable"):
            raise ConnectionLost(f"{operation}: {result.get('msg')}")
        return result

    def _run(self, script: str) -> dict:
        try:
            return self.action._low_level_execute_command(script)
        except Exception as exc:
            if _is_connection_error(exc):
                raise ConnectionLost(f"{script}: {exc}") from exc
            raise

    def _boot_id(self) -> str:
        result = self._run(BOOT_ID_SCRIPT)
        if result.get("rc") != 0:
            raise ConnectionLost(f"{BOOT_ID_SCRIPT}: rc {result.get('rc')}: {result.get('stderr', '').strip()}")
        return result.get("stdout", "").strip()

    def _reset(self) -> None:
        try:
            self.action._connection.reset()
        except Exception as exc:
            if not _is_connection_error(exc):
                raise
            raise ConnectionLost(str(exc)) from exc

    def reconnect(self, timeout: float, *, changed_from: str | None = None) -> str:
        deadline = self.clock() + timeout
        last = "no attempt"
        while True:
            try:
                self._reset()
                boot = self._boot_id()
                if changed_from is None or boot != changed_from:
                    return boot
                last = f"boot id still {boot} (not rebooted yet)"
            except ConnectionLost as exc:
                last = str(exc)
            if self.clock() >= deadline:
                raise RebootTimeout(f"the host did not answer over WinRM within {int(timeout)}s; last error: {last}")
            self.sleep(self.poll_seconds)

    def reboot(self, timeout: float) -> None:
        before = self._boot_id()
        try:
            result = self._run(REBOOT_SCRIPT)
            if result.get("rc") not in (0, None):
                raise RebootTimeout(
                    f"{REBOOT_SCRIPT} failed: rc {result.get('rc')}: {result.get('stderr', '').strip()}"
                )
        except ConnectionLost:
            pass  # the host went down while answering: that is a reboot starting
        self.sleep(self.poll_seconds)
        self.reconnect(timeout, changed_from=before)
