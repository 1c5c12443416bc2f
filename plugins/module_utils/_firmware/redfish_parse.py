# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Pure functions that read Redfish bodies (ServiceRoot, UpdateService, SoftwareInventory, Task, errors)."""

from __future__ import annotations

APPLY_TIMES = ("Immediate", "OnReset", "AtMaintenanceWindowStart", "InMaintenanceWindowOnReset")
# TaskState (DMTF Task schema, DSP0266 "Asynchronous operations") -> running | done | failed. Vendor words seen on
# real services are mapped too; any other word is "unknown" (followed only while it shows progress).
TASK_RUNNING = (
    "New",
    "Starting",
    "Running",
    "Suspended",
    "Interrupted",
    "Pending",
    "Stopping",
    "Cancelling",
    "Service",
)
TASK_FAILED = ("Exception", "Killed", "Cancelled")
VENDOR_RUNNING = ("InProgress", "Downloading", "Downloaded", "Scheduled", "Queued", "Updating", "Verifying")
VENDOR_DONE = ("Complete", "Success", "Succeeded", "CompletedOK")
VENDOR_FAILED = ("Failed", "Failure", "Error", "Aborted", "Terminated", "Canceled", "CompletedWithErrors")
TASK_OK = ("OK", "Warning")
# Running words that mean "waiting for a reset or a window" rather than "busy writing an image".
TASK_WAITING = ("Pending", "Suspended", "Scheduled")
# HPE iLO Oem.Hpe.State values while a flash runs (iLO 5 UpdateService; the terminal ones are Idle, Complete,
# Error, Unknown).
HPE_UPDATING = ("Updating", "Verifying", "Uploading", "Writing", "Progressing")
# Dell iDRAC Oem.Dell.JobState values of a job that is working now (Scheduled/Waiting/Paused wait for a reboot).
DELL_JOB_RUNNING = ("Running", "Downloading", "Scheduling", "ReadyForExecution")


def odata_id(ref):
    return ref.get("@odata.id") if isinstance(ref, dict) else None


def member_ids(collection):
    """The @odata.id of every member of a collection body."""
    return [odata_id(m) for m in collection.get("Members") or [] if odata_id(m)]


def component(body):
    """One SoftwareInventory body -> the component dict the module reports."""
    related = [odata_id(r) for r in body.get("RelatedItem") or [] if odata_id(r)]
    status = body.get("Status") or {}
    return {
        "id": body.get("Id") or (odata_id(body) or "").rstrip("/").rsplit("/", 1)[-1],
        "name": body.get("Name"),
        "version": body.get("Version"),
        "updateable": bool(body.get("Updateable", False)),
        "lowest_supported_version": body.get("LowestSupportedVersion"),
        "software_id": body.get("SoftwareId"),
        "manufacturer": body.get("Manufacturer"),
        "release_date": body.get("ReleaseDate"),
        "related_item": related,
        "health": status.get("Health"),
        "state": status.get("State"),  # Updating while the component is being written
        "uri": odata_id(body),
    }


def _supported(annotation):
    return list((annotation or {}).get("SupportedValues") or [])


def update_service(body):
    """UpdateService body -> how to update: SimpleUpdate target, push URIs and the apply times each one advertises.

    Each update path has its own apply-time support: SimpleUpdate in its action's
    ``@Redfish.OperationApplyTimeSupport``, MultipartHttpPushUri in ``MultipartHttpPushUri@Redfish.
    OperationApplyTimeSupport``, HttpPushUri in ``HttpPushUriOptions`` (never used for the other two).
    """
    actions = body.get("Actions") or {}
    simple = actions.get("#UpdateService.SimpleUpdate") or {}
    support = simple.get("@Redfish.OperationApplyTimeSupport") or {}
    multipart_support = body.get("MultipartHttpPushUri@Redfish.OperationApplyTimeSupport") or {}
    push_options = (body.get("HttpPushUriOptions") or {}).get("HttpPushUriApplyTime") or {}
    simple_times = _supported(support)
    return {
        "simple_update": simple.get("target"),
        "simple_update_action_info": simple.get("@Redfish.ActionInfo"),
        "transfer_protocols": list(simple.get("TransferProtocol@Redfish.AllowableValues") or []),
        "multipart_push_uri": body.get("MultipartHttpPushUri"),
        "http_push_uri": body.get("HttpPushUri"),
        "firmware_inventory": odata_id(body.get("FirmwareInventory")),
        "simple_update_apply_times": simple_times,
        "multipart_apply_times": _supported(multipart_support),
        "http_push_apply_times": list(push_options.get("ApplyTime@Redfish.AllowableValues") or []),
        # A path that advertises no apply times applies immediately (Redfish default): SimpleUpdate's here.
        "apply_times": simple_times or ["Immediate"],
        "apply_times_advertised": bool(simple_times),
        "maintenance_window_resource": odata_id(
            support.get("MaintenanceWindowResource") or multipart_support.get("MaintenanceWindowResource")
        ),
        "maintenance_window": {
            k: support.get(k) or push_options.get(k)
            for k in ("MaintenanceWindowStartTime", "MaintenanceWindowDurationInSeconds")
            if support.get(k) or push_options.get(k)
        },
        "enabled": body.get("ServiceEnabled", True) is not False,
        "busy": busy_reasons(body),
    }


def apply_times_for(svc, multipart):
    """(values, advertised) for the update path about to be used."""
    values = svc.get("multipart_apply_times" if multipart else "simple_update_apply_times") or []
    return (values or ["Immediate"]), bool(values)


def busy_reasons(body):
    """Why an UpdateService says another update is in progress (empty when it is free)."""
    reasons = []
    for flag in ("HttpPushUriTargetsBusy", "HttpPushUriOptionsBusy"):
        if body.get(flag) is True:
            reasons.append(f"{flag} is true (another client has reserved the push update)")
    state = (body.get("Status") or {}).get("State")
    if state == "Updating":
        reasons.append("Status.State is Updating")
    hpe = ((body.get("Oem") or {}).get("Hpe") or {}) if isinstance(body.get("Oem"), dict) else {}
    if hpe.get("State") in HPE_UPDATING:
        percent = hpe.get("FlashProgressPercent")
        reasons.append(f"Oem.Hpe.State is {hpe['State']}" + (f" ({percent}%)" if percent is not None else ""))
    return reasons


def running_update(body):
    """A Task body that is an update still writing an image (waiting for a window or a reset does not count)."""
    state = body.get("TaskState")
    if task_verdict(state, body.get("TaskStatus")) != "running" or state in TASK_WAITING:
        return False
    dell = ((body.get("Oem") or {}).get("Dell") or {}) if isinstance(body.get("Oem"), dict) else {}
    if dell.get("JobState") and dell["JobState"] not in DELL_JOB_RUNNING:
        return False  # an iDRAC job Scheduled for the next reboot shows TaskState Starting: it writes nothing now
    target = str((body.get("Payload") or {}).get("TargetUri") or "")
    name = str(body.get("Name") or "").lower()
    return (
        "UpdateService" in target
        or dell.get("JobType") == "FirmwareUpdate"
        or any(word in name for word in ("firmware", "update", "flash"))
    )


def messages(body):
    """Messages of a Task or of an error body (``@Message.ExtendedInfo`` may be a list or one object).

    An error's own ``message`` is kept when no ExtendedInfo entry has a text: a BMC that sends only MessageIds there
    says why in ``error.message``.
    """
    if not isinstance(body, dict):
        return []
    found = body.get("Messages")
    error = None
    if found is None:
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        found = error.get("@Message.ExtendedInfo") or []
        if isinstance(found, dict):
            found = [found]
    result = []
    for item in found if isinstance(found, list) else []:
        if not isinstance(item, dict):
            continue
        args = item.get("MessageArgs")
        if isinstance(args, str):  # some Dell iDRACs send the string "[]"
            args = [] if args.strip() in ("", "[]") else [args]
        result.append(
            {
                "id": item.get("MessageId") or "",
                "message": item.get("Message") or "",
                "resolution": item.get("Resolution") or "",
                "args": list(args or []),
                "severity": item.get("Severity") or item.get("MessageSeverity") or "",
            }
        )
    result = [m for m in result if m["id"] or m["message"]]
    if error is not None and not result and not error.get("message") and error.get("code"):
        return [{"id": str(error["code"]), "message": "", "resolution": "", "args": [], "severity": ""}]
    if error is not None and error.get("message") and not any(m["message"] for m in result):
        own = str(error["message"])
        if own:
            result.insert(
                0, {"id": error.get("code") or "", "message": own, "resolution": "", "args": [], "severity": ""}
            )
    return result


def message_text(msgs, resolution=False):
    """One line from messages: 'Id(args): text [Resolution: ...]; ...'."""
    parts = []
    for m in msgs:
        label = m["id"] + ("(" + ", ".join(str(a) for a in m["args"]) + ")" if m["args"] else "")
        part = ": ".join(p for p in (label, m["message"]) if p)
        if resolution and m.get("resolution"):
            part += f" (Resolution: {m['resolution']})"
        parts.append(part)
    return "; ".join(parts)


def error_text(body):
    """The BMC's own words from an error body: error.message and every ExtendedInfo Message/MessageId/Resolution."""
    return message_text(messages(body), resolution=True) or "the BMC gave no message"


def task_link(body):
    """A Task URI a 202 body names only in a message (Supermicro: ``Accepted`` -> ExtendedInfo MessageArgs)."""
    for holder in (body, body.get("Accepted") if isinstance(body.get("Accepted"), dict) else None):
        infos = (holder or {}).get("@Message.ExtendedInfo") or []
        for info in infos if isinstance(infos, list) else [infos]:
            for arg in (info.get("MessageArgs") or []) if isinstance(info, dict) else []:
                if isinstance(arg, str) and arg.startswith("/redfish/v1/TaskService/Tasks/"):
                    return arg
    return None


def message_ids(msgs):
    """Registry-independent message keys: 'Update.1.0.ApplyFailed' -> 'ApplyFailed'."""
    return [m["id"].rsplit(".", 1)[-1] for m in msgs if m["id"]]


def task_verdict(state, status=None):
    """running | done | failed | unknown for a TaskState (and TaskStatus); see docs/firmware.md for the table."""
    if state in ("Completed",) + VENDOR_DONE:
        return "failed" if status == "Critical" else "done"
    if state in TASK_FAILED + VENDOR_FAILED:
        return "failed"
    if state in TASK_RUNNING + VENDOR_RUNNING:
        return "running"
    return "unknown"


def task(body):
    """Task (or task-monitor) body -> a summary: its verdict, whether it is done and whether it succeeded."""
    state = body.get("TaskState") or "Running"
    status = body.get("TaskStatus") or "OK"
    msgs = messages(body)
    verdict = task_verdict(state, body.get("TaskStatus"))
    ids = message_ids(msgs)
    return {
        "id": body.get("Id"),
        "uri": odata_id(body),
        "monitor": body.get("TaskMonitor"),
        "name": body.get("Name"),
        "state": state,
        "status": status,
        "percent": body.get("PercentComplete"),
        "messages": msgs,
        "verdict": verdict,
        "done": verdict in ("done", "failed"),
        "ok": verdict == "done",
        "staged": "AwaitToActivate" in ids or "AwaitToUpdate" in ids,
    }


def progress_line(summary):
    """'Running 40%: Update.1.0.InstallingOnComponent: ...' - what a task reports at one poll."""
    percent = summary.get("percent")
    head = summary.get("state") or "?"
    if percent is not None:
        head += f" {percent}%"
    last = message_text(summary.get("messages")[-1:]) if summary.get("messages") else ""
    return f"{head}: {last}" if last else head
