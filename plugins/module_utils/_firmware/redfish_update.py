# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The Redfish update path: busy refusal, apply time, submit, task following and the honest outcome."""

from __future__ import annotations

import json
import os

from .common import FirmwareError
from .record import component_change, outcome
from .redfish_client import BmcUnreachable, RedfishHttpError
from .redfish_parse import apply_times_for, message_ids, message_text, odata_id, running_update
from .redfish_task import TaskFollower, accepted

DEFERRED = ("OnReset", "InMaintenanceWindowOnReset")
SCHEDULED = ("AtMaintenanceWindowStart",)
MAX_TASKS_READ = 16  # the newest members of the TaskService (Dell keeps hundreds of finished jobs)


class UpdateMixin:
    """``update()`` of RedfishBackend; needs ``client``, ``service()``, ``inventory()``, ``_find()``,
    ``_check_allowed()``, ``_reset_for()`` and the poll settings of the backend."""

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
        self._check_apply_time(svc, apply_time, bool(params.get("image_path")))
        image = params.get("image_uri") or params.get("image_path")
        if not image:
            raise FirmwareError(f"Updating {dev['id']} to {target} needs image_uri (pulled by the BMC) or image_path.")
        self._refuse_if_busy(svc, dev)
        # A deferred image needs a reset to activate; an Immediate one is verified active in the inventory.
        change = component_change(dev["id"], current, target, reboot_required=apply_time in DEFERRED)
        rollback_data = {dev["id"]: {"version": current, "image": params.get("rollback_image"), "applied_image": image}}
        common = {"apply_time": apply_time, "rollback_data": rollback_data}
        if check_mode:
            msg = f"{dev['id']} would go from {current} to {target}"
            return outcome(True, msg, devices=devices, pending=[change], **common)
        if params.get("maintenance_window_start") and apply_time in SCHEDULED + ("InMaintenanceWindowOnReset",):
            self._set_window(svc, params)
        first = self._submit(svc, dev, params, apply_time)
        if apply_time in SCHEDULED:
            msg = f"{dev['id']} update to {target} scheduled for the maintenance window"
            return outcome(True, msg, devices=devices, pending=[change], scheduled=True, task=first, **common)
        try:
            final, reset_seen = self._follower().follow(first, deferred=apply_time in DEFERRED)
        except FirmwareError as exc:  # timed out, or an unknown state: the component may still have moved
            self._raise_if_moved(svc, dev, exc, rollback_data)
            raise
        if final["verdict"] == "failed":
            self._raise_for_task(svc, final, dev, target, rollback_data, reset_seen)
        if "UpdateSkippedSameVersion" in message_ids(final["messages"]):
            msg = f"{dev['id']} is already at {target} (the BMC skipped the update)"
            return outcome(False, msg, task=final, devices=self.inventory(svc))
        if apply_time in DEFERRED and not params.get("reset") and not final["staged"]:
            return self._deferred_unreported(svc, dev, target, change, final, reset_seen, common)
        staged = bool(final["staged"]) or apply_time in DEFERRED
        if staged and params.get("reset"):
            self._reset_for(dev)
            staged = False
            change = dict(change, reboot_required=False)  # the module did the reset itself
        if staged:  # the BMC reported the image staged (AwaitToActivate / AwaitToUpdate)
            msg = f"{dev['id']} {target} staged; it activates at the next reset"
            extra = {"staged": True, "task": final, "reboot_required": True, "bmc_reset_seen": reset_seen}
            return outcome(True, msg, devices=devices, pending=[change], **common, **extra)
        after, more_reset = self._wait_version(svc, dev, target, rollback_data, final)
        return outcome(
            True,
            f"{dev['id']} updated from {current} to {target}",
            devices=after,
            changes=[change],
            task=final,
            bmc_reset_seen=reset_seen or more_reset,
            reboot_required=change["reboot_required"],
            **common,
        )

    def _follower(self):
        return TaskFollower(self.client, self.timeout, self.poll_interval, self.sleep, self.clock)

    def _deferred_unreported(self, svc, dev, target, change, final, reset_seen, common):
        """An OnReset update whose task ended without saying the image is staged: report what the inventory shows."""
        devices = self.inventory(svc)
        now = self._find(devices, dev["id"])["version"]
        if now == target:  # the BMC applied it at once after all
            change = dict(change, reboot_required=False)
            msg = f"{dev['id']} updated from {dev['version']} to {target}"
            return outcome(
                True, msg, devices=devices, changes=[change], task=final, bmc_reset_seen=reset_seen, **common
            )
        msg = (
            f"{dev['id']} {target} was sent with apply time {common['apply_time']} and the task ended "
            f"{final['state']}, but the BMC did not report the image staged; {dev['id']} runs {now} and may "
            "activate the image at the next reset (verify with state=scanned afterwards)"
        )
        extra = {"staged": False, "task": final, "reboot_required": True, "bmc_reset_seen": reset_seen}
        return outcome(True, msg, devices=devices, pending=[change], **common, **extra)

    # -- refusals before sending ------------------------------------------------------------------------
    @staticmethod
    def _check_apply_time(svc, apply_time, multipart):
        path = "MultipartHttpPushUri" if multipart else "SimpleUpdate action"
        values, advertised = apply_times_for(svc, multipart)
        if apply_time in values:
            return
        if not advertised:
            raise FirmwareError(
                f"The BMC's {path} advertises no apply times (no @Redfish.OperationApplyTimeSupport), so it applies "
                f"updates Immediate only: apply_time {apply_time} cannot be requested. Use apply_time Immediate."
            )
        raise FirmwareError(
            f"The BMC does not support apply time {apply_time} for its {path} (it supports: {', '.join(values)})."
        )

    def _refuse_if_busy(self, svc, dev):
        """Another update in progress (UpdateService flags, vendor OEM states, the component itself, running update
        tasks): send nothing."""
        reasons = list(svc.get("busy") or [])
        if dev.get("state") == "Updating":
            reasons.append(f"{dev['id']} reports Status.State Updating")
        reasons += self._running_update_tasks()
        if reasons:
            raise FirmwareError(
                f"The BMC is busy with another update, so nothing was sent: {'; '.join(reasons)}. Wait until it "
                "finishes (or clear it on the BMC), then run again.",
                busy=reasons,
            )

    def _running_update_tasks(self):
        root = getattr(self, "_root", None) or {}
        service_uri = odata_id(root.get("Tasks"))
        if not service_uri:
            return []
        found = []
        try:
            collection = odata_id(self.client.get(service_uri).get("Tasks"))
            members = (self.client.get(collection).get("Members") or []) if collection else []
            for member in members[-MAX_TASKS_READ:]:
                body = member if member.get("TaskState") else self.client.get(odata_id(member))
                if running_update(body):
                    percent = body.get("PercentComplete")
                    at = f" at {percent}%" if percent is not None else ""
                    found.append(f"task {body.get('Id')} ({body.get('Name')}) is {body.get('TaskState')}{at}")
        except RedfishHttpError:
            return found  # a TaskService that cannot be read is not known to be busy
        return found

    # -- sending ------------------------------------------------------------------------------------------
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
        target_uri = dev.get("target_uri") or dev["uri"]
        targets = [target_uri] if target_uri else []
        multipart = bool(params.get("image_path"))
        _values, advertised = apply_times_for(svc, multipart)
        annotation = {"@Redfish.OperationApplyTime": apply_time} if advertised else {}
        if multipart:
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
        return accepted(status, body, headers)

    # -- outcome ------------------------------------------------------------------------------------------
    def _version_now(self, svc, component_id):
        try:
            devices = self.inventory(svc)
            return devices, self._find(devices, component_id)["version"]
        except (BmcUnreachable, FirmwareError):
            return None, None

    def _raise_for_task(self, svc, final, dev, target, rollback_data, reset_seen):
        """A failed task: the BMC's words, the progress, and the version the component runs now (a change if it
        moved: changed true with rollback data)."""
        text = final.get("error") or message_text(final["messages"]) or "the BMC gave no message"
        if "UpdateSkippedVersionTooLow" in message_ids(final["messages"]):
            raise FirmwareError(
                f"The BMC refused to downgrade {dev['id']} to {target} (minimum version rule): {text}", task=final
            )
        if final.get("error"):
            ended = f"failed: its task monitor answered {text}"
        else:
            ended = f"ended {final['state']}/{final['status']} at {final.get('percent')}%: {text}"
        devices, now = self._version_now(svc, dev["id"])
        head = f"The update task for {dev['id']} {ended}."
        if now and now != dev["version"]:
            head += f" {dev['id']} now runs {now} (it ran {dev['version']})."
            self._raise_moved(head, dev, now, devices, rollback_data, final, reset_seen)
        kept = f"{dev['id']} stays at {now}." if now else f"the BMC did not answer afterwards: check {dev['id']}."
        raise FirmwareError(f"{head} {kept}", task=final, bmc_reset_seen=reset_seen)

    def _raise_if_moved(self, svc, dev, exc, rollback_data):
        devices, now = self._version_now(svc, dev["id"])
        if now and now != dev["version"]:
            head = f"{exc} {dev['id']} now runs {now} (it ran {dev['version']})."
            details = exc.details
            self._raise_moved(
                head, dev, now, devices, rollback_data, details.get("task"), bool(details.get("bmc_reset_seen"))
            )

    @staticmethod
    def _raise_moved(head, dev, now, devices, rollback_data, final, reset_seen):
        moved = outcome(
            True,
            head,
            devices=devices,
            changes=[component_change(dev["id"], dev["version"], now)],
            rollback_data=rollback_data,
            task=final,
            bmc_reset_seen=reset_seen,
        )
        raise FirmwareError(
            f"{head} Reported as a change ({dev['version']} -> {now}), with rollback data.",
            task=final,
            bmc_reset_seen=reset_seen,
            outcome=moved,
        )

    def _wait_version(self, svc, dev, target, rollback_data, final):
        """The inventory can lag the task (and the BMC may still reset): wait until it shows ``target``; a third
        version (neither the old one nor the target) ends the wait at once."""
        seen = {}

        def probe():
            devices = seen["devices"] = self.inventory(svc)
            version = self._find(devices, dev["id"])["version"]
            if version == target:
                return devices
            return {"other": version} if version and version != dev["version"] else None

        follower = self._follower()
        found, reset_seen = follower.poll(probe, self.clock() + self.timeout)
        if isinstance(found, list):
            return found, reset_seen
        if found:
            head = (
                f"After the update task {dev['id']} now runs {found['other']}, neither {dev['version']} nor {target}."
            )
            self._raise_moved(head, dev, found["other"], seen["devices"], rollback_data, final, reset_seen)
        now = seen.get("devices")
        version = self._find(now, dev["id"])["version"] if now else "unknown (BMC unreachable)"
        raise FirmwareError(
            f"The update task finished but {dev['id']} reports {version}, not {target}, after {self.timeout}s.",
            bmc_reset_seen=reset_seen,
        )
