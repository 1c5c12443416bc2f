# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Redfish backend: FirmwareInventory scan, SimpleUpdate / multipart push, task following, apply times."""

from __future__ import annotations

import json
import os
import time

from . import redfish_inventory
from .common import FirmwareError, compare_versions
from .record import component_change, outcome
from .redfish_parse import message_ids, message_text, odata_id, task, update_service

DEFERRED = ("OnReset", "InMaintenanceWindowOnReset")
SCHEDULED = ("AtMaintenanceWindowStart",)


class RedfishBackend:
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

    # -- updating ---------------------------------------------------------------------------------
    def update(self, params, check_mode=False, rollback=False):
        """Bring ``params['component']`` to ``params['version']`` with the given image; see the module docs."""
        svc = self.service()
        devices = self.inventory(svc)
        dev = self._find(devices, params["component"])
        target, current = params["version"], dev["version"]
        apply_time = params.get("apply_time") or "Immediate"
        if current == target:
            return outcome(False, f"{dev['id']} is already at {target}", devices=devices)
        self._check_allowed(dev, target, rollback or params.get("allow_downgrade"), svc, apply_time)
        image = params.get("image_uri") or params.get("image_path")
        if not image:
            raise FirmwareError(f"Updating {dev['id']} to {target} needs image_uri (pulled by the BMC) or image_path.")
        # A deferred image needs a reset to activate; an Immediate one is verified active in the inventory.
        change = component_change(dev["id"], current, target, reboot_required=apply_time in DEFERRED)
        rollback_data = {dev["id"]: {"version": current, "image": params.get("rollback_image"), "applied_image": image}}
        if check_mode:
            return outcome(
                True,
                f"{dev['id']} would go from {current} to {target}",
                devices=devices,
                pending=[change],
                apply_time=apply_time,
                rollback_data=rollback_data,
            )
        if params.get("maintenance_window_start") and apply_time in SCHEDULED + ("InMaintenanceWindowOnReset",):
            self._set_window(svc, params)
        first = self._submit(svc, dev, params, apply_time)
        if apply_time in SCHEDULED:
            return outcome(
                True,
                f"{dev['id']} update to {target} scheduled for the maintenance window",
                devices=devices,
                pending=[change],
                apply_time=apply_time,
                scheduled=True,
                task=first,
                rollback_data=rollback_data,
            )
        final, reset_seen = self._follow(first)
        self._raise_for_task(final, dev, target)
        if final and "UpdateSkippedSameVersion" in message_ids(final["messages"]):
            return outcome(
                False,
                f"{dev['id']} is already at {target} (the BMC skipped the update)",
                task=final,
                devices=self.inventory(svc),
            )
        staged = apply_time in DEFERRED or bool(final and final["staged"])
        if staged and params.get("reset"):
            self._reset_for(dev)
            staged = False
            change = dict(change, reboot_required=False)  # the module did the reset itself
        if staged:
            return outcome(
                True,
                f"{dev['id']} {target} staged; it activates at the next reset",
                devices=devices,
                pending=[change],
                apply_time=apply_time,
                staged=True,
                task=final,
                reboot_required=True,
                rollback_data=rollback_data,
                bmc_reset_seen=reset_seen,
            )
        after, more_reset = self._wait_version(svc, dev["id"], target)
        return outcome(
            True,
            f"{dev['id']} updated from {current} to {target}",
            devices=after,
            changes=[change],
            apply_time=apply_time,
            task=final,
            rollback_data=rollback_data,
            bmc_reset_seen=reset_seen or more_reset,
            reboot_required=change["reboot_required"],
        )

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

        found, reset_seen = self.client.wait_until(probe, deadline, self.poll_interval, self.sleep, self.clock)
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
        if apply_time not in svc["apply_times"]:
            raise FirmwareError(
                f"The BMC does not support apply time {apply_time} (it supports: {', '.join(svc['apply_times'])})."
            )

    def _set_window(self, svc, params):
        resource = svc["maintenance_window_resource"]
        if not resource:
            raise FirmwareError("The BMC advertises no MaintenanceWindowResource to set a maintenance window on.")
        window = {
            "MaintenanceWindowStartTime": params["maintenance_window_start"],
            "MaintenanceWindowDurationInSeconds": int(params.get("maintenance_window_duration") or 3600),
        }
        self.client.request("PATCH", resource, body={"@Redfish.MaintenanceWindow": window})

    def _submit(self, svc, dev, params, apply_time):
        targets = [dev["uri"]] if dev["uri"] else []
        annotation = {"@Redfish.OperationApplyTime": apply_time} if svc["apply_times_advertised"] else {}
        if params.get("image_path"):
            if not svc["multipart_push_uri"]:
                raise FirmwareError("The BMC has no MultipartHttpPushUri: serve the image and give image_uri instead.")
            path = params["image_path"]
            if not os.path.isfile(path):
                raise FirmwareError(f"image_path {path} does not exist on the controller.")
            fields = {
                "UpdateParameters": {
                    "content": json.dumps(dict(annotation, Targets=targets)),
                    "mime_type": "application/json",
                },
                "UpdateFile": {"filename": path, "mime_type": "application/octet-stream"},
            }
            status, body, headers = self.client.post_multipart(svc["multipart_push_uri"], fields)
        else:
            if not svc["simple_update"]:
                raise FirmwareError("The BMC's UpdateService has no SimpleUpdate action.")
            payload = dict(annotation, ImageURI=params["image_uri"], Targets=targets)
            if params.get("transfer_protocol"):
                payload["TransferProtocol"] = params["transfer_protocol"]
            status, body, headers = self.client.request("POST", svc["simple_update"], body=payload)
        summary = task(body) if body.get("TaskState") else {"state": "New", "done": status in (200, 204)}
        summary["monitor"] = headers.get("location") or summary.get("monitor")
        return summary

    def _follow(self, first):
        """Poll the task monitor (or, once it is gone, the Task) until done; ride out BMC resets."""
        if first.get("done") and not first.get("monitor"):
            return first, False
        deadline = self.clock() + self.timeout
        state = {"uri": first.get("monitor") or first.get("uri"), "task_uri": first.get("uri"), "last": first}

        def probe():
            try:
                status, body, _headers = self.client.request("GET", state["uri"])
            except FirmwareError as exc:
                if getattr(exc, "status", None) == 404 and state["task_uri"] and state["uri"] != state["task_uri"]:
                    state["uri"] = state["task_uri"]  # monitors vanish after completion or a reset
                    return None
                raise
            if not body.get("TaskState"):
                return dict(state["last"], done=True, ok=status in (200, 204), state="Completed")
            summary = task(body)
            state["task_uri"] = summary["uri"] or state["task_uri"]
            state["last"] = summary
            return summary if summary["done"] else None

        final, reset_seen = self.client.wait_until(probe, deadline, self.poll_interval, self.sleep, self.clock)
        if final is None:
            last = state["last"]
            where = "the BMC did not come back after a reset" if reset_seen else "the task did not finish"
            raise FirmwareError(
                f"Timed out after {self.timeout}s following the update task: {where}. Last task state "
                f"{last.get('state')} at {last.get('percent')}%; check the BMC before retrying.",
                task=last,
                bmc_reset_seen=reset_seen,
            )
        return final, reset_seen

    @staticmethod
    def _raise_for_task(final, dev, target):
        if final is None or final.get("ok", True):
            return
        ids = message_ids(final["messages"])
        text = message_text(final["messages"]) or "no message"
        if "UpdateSkippedVersionTooLow" in ids:
            raise FirmwareError(
                f"The BMC refused to downgrade {dev['id']} to {target} (minimum version rule): {text}", task=final
            )
        raise FirmwareError(
            f"The update task for {dev['id']} ended {final['state']}/{final['status']} at "
            f"{final.get('percent')}%: {text}. {dev['id']} stays at {dev['version']}.",
            task=final,
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

    def _wait_version(self, svc, component_id, target):
        """The inventory can lag the task (and the BMC may still reset): wait until it shows ``target``."""
        deadline = self.clock() + self.timeout
        seen = {}

        def probe():
            devices = self.inventory(svc)
            seen["devices"] = devices
            dev = self._find(devices, component_id)
            return devices if dev["version"] == target else None

        devices, reset_seen = self.client.wait_until(probe, deadline, self.poll_interval, self.sleep, self.clock)
        if devices is None:
            now = seen.get("devices")
            version = self._find(now, component_id)["version"] if now else "unknown (BMC unreachable)"
            raise FirmwareError(
                f"The update task finished but {component_id} reports {version}, not {target}, after {self.timeout}s.",
                bmc_reset_seen=reset_seen,
            )
        return devices, reset_seen
