# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Redfish backend: inventory scan and activation; the update path is in redfish_update, tasks in redfish_task."""

from __future__ import annotations

import time

from . import redfish_inventory
from .common import FirmwareError, compare_versions
from .record import component_change, outcome
from .redfish_parse import odata_id, update_service
from .redfish_task import wait_until
from .redfish_update import UpdateMixin


class RedfishBackend(UpdateMixin):
    def __init__(self, client, poll_interval=5.0, timeout=1800, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock

    # -- reading ----------------------------------------------------------------------------------
    _root = None  # the ServiceRoot body service() read last

    def service(self):
        """The UpdateService as ``redfish_parse.update_service`` reads it; ``uri`` None when the root links none."""
        self._root = root = self.client.get("/redfish/v1")
        uri = odata_id(root.get("UpdateService"))
        svc = update_service(self.client.get(uri) if uri else {})
        svc["uri"] = uri
        return svc

    def inventory(self, svc=None):
        """Every component (FirmwareInventory, ComputerSystem BiosVersion, Manager FirmwareVersion): see
        redfish_inventory; each carries ``source`` and the ``target_uri`` SimpleUpdate Targets takes."""
        svc = svc or self.service()
        root = self._root if self._root is not None else self.client.get("/redfish/v1")
        return redfish_inventory.read(self.client.get, root, svc)

    @staticmethod
    def _find(devices, wanted):
        return redfish_inventory.find(devices, wanted)

    def scan(self, components=None):
        devices = self.inventory()
        if components:
            devices = [self._find(devices, c) for c in components]
        return outcome(False, f"{len(devices)} firmware component(s) read from the BMC", devices=devices)

    # -- activating a staged image -------------------------------------------------------------------
    def activate(self, params, check_mode=False):
        """Activate the image an earlier OnReset update staged for ``params['component']``: reset, send no image."""
        svc = self.service()
        devices = self.inventory(svc)
        dev = self._find(devices, params["component"])
        target, current = params["version"], dev["version"]
        if current == target:
            return outcome(False, f"{dev['id']} already runs {target}", devices=devices)
        # The module resets what activates the image itself, so nothing is left to reboot for.
        change = component_change(dev["id"], current, target)
        rollback_data = {dev["id"]: {"version": current, "image": params.get("rollback_image"), "applied_image": None}}
        if check_mode:
            return outcome(
                True,
                f"{dev['id']} would be reset to activate {target} (it runs {current})",
                devices=devices,
                pending=[change],
                rollback_data=rollback_data,
            )
        self._reset_for(dev)
        after, reset_seen = self._wait_activated(svc, dev, target)
        return outcome(
            True,
            f"{dev['id']} activated: {current} -> {target}",
            devices=after,
            changes=[change],
            rollback_data=rollback_data,
            bmc_reset_seen=reset_seen,
        )

    def _wait_activated(self, svc, dev, target):
        """Wait for ``target`` after the reset; fail early if the component comes back on a third version."""
        deadline = self.clock() + self.timeout
        seen = {}

        def probe():
            seen["devices"] = None  # stays None while the BMC drops connections
            devices = seen["devices"] = self.inventory(svc)
            version = self._find(devices, dev["id"])["version"]
            if version == target:
                return devices
            # Empty while the BMC starts up; the old version until the reset has taken effect.
            return {"other": version} if version and version != dev["version"] else None

        found, reset_seen = wait_until(self.client, probe, deadline, self.poll_interval, self.sleep, self.clock)
        if isinstance(found, list):
            return found, reset_seen
        now = seen.get("devices")
        if now is None:
            raise FirmwareError(
                f"Reset {dev['id']} to activate {target}, but the BMC did not answer again within {self.timeout}s: "
                "check the BMC before retrying.",
                bmc_reset_seen=reset_seen,
            )
        version = found["other"] if found else self._find(now, dev["id"])["version"] or "no version"
        waited = "" if found else f" (waited {self.timeout}s)"
        raise FirmwareError(
            f"The reset activated {dev['id']} {version}, not {target}{waited}: nothing was staged? Stage the image "
            "with state=updated and apply_time=OnReset first, then activate it.",
            devices=now,
            bmc_reset_seen=reset_seen,
        )

    def _check_allowed(self, dev, target, downgrade_ok, svc, apply_time):
        if not svc["enabled"]:
            raise FirmwareError("The BMC's UpdateService is disabled (ServiceEnabled=false).")
        if not dev["updateable"]:
            raise FirmwareError(redfish_inventory.not_updateable(dev, svc))
        if dev["version"] and compare_versions(target, dev["version"]) < 0:
            if not downgrade_ok:
                raise FirmwareError(
                    f"Refusing to downgrade {dev['id']} from {dev['version']} to {target}: use state=rolled_back "
                    "or allow_downgrade=true."
                )
            lowest = dev["lowest_supported_version"]
            if lowest and compare_versions(target, lowest) < 0:
                raise FirmwareError(
                    f"The device forbids downgrading {dev['id']} to {target}: its LowestSupportedVersion is {lowest}.",
                    lowest_supported_version=lowest,
                )

    def _reset_for(self, dev):
        """Activate a staged image: reset the manager for BMC firmware, the system otherwise."""
        related = dev["related_item"][0] if dev["related_item"] else "/redfish/v1/Systems/1"
        if "/Managers/" in related:
            action, reset = f"{related}/Actions/Manager.Reset", {"ResetType": "GracefulRestart"}
        else:
            action, reset = f"{related}/Actions/ComputerSystem.Reset", {"ResetType": "ForceRestart"}
        body = self.client.get(related)
        action = (
            (body.get("Actions") or {}).get("#Manager.Reset" if "/Managers/" in related else "#ComputerSystem.Reset")
            or {}
        ).get("target") or action
        self.client.request("POST", action, body=reset)
