"""A windows_updates runner target backed by the lab's Windows Update Agent model (lab/winsim/wua.py), the same
model the simulated host answers the module with, so the loop is tested against the module's contract without WinRM."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.runner import ConnectionLost, RebootTimeout

from lab.winsim.wsman import DropConnection
from lab.winsim.wua import Model


class ModelTarget:
    def __init__(self, model: Model):
        self.model = model
        self.calls: list[tuple[str, dict]] = []
        self.reconnects = 0
        self.reboots = 0

    def call(self, operation, **args):
        self.calls.append((operation, args))
        try:
            return self.model.module({"operation": operation, **args})
        except DropConnection as exc:
            raise ConnectionLost(f"{operation}: connection reset by peer") from exc

    def reconnect(self, timeout):
        self.reconnects += 1
        if self.model.load()["faults"].get("reboot_never_returns") and self.model.load().get("rebooting_until"):
            raise RebootTimeout(f"the host did not answer over WinRM within {timeout}s")

    def reboot(self, timeout):
        self.reboots += 1
        self.model.reboot()
        state = self.model.load()
        if state["faults"].get("reboot_never_returns"):
            raise RebootTimeout(f"the host did not answer over WinRM within {timeout}s")
        state["rebooting_until"] = 1  # in the past: the next look finishes the boot
        self.model.save(state)
        assert not self.model.is_down()

    def faults(self, **faults):
        state = self.model.load()
        state["faults"].update(faults)
        self.model.save(state)

    def ops(self):
        return [op for op, _ in self.calls]
