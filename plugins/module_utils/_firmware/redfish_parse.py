# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Pure functions that read Redfish bodies (ServiceRoot, UpdateService, SoftwareInventory, Task, errors)."""

from __future__ import annotations

APPLY_TIMES = ("Immediate", "OnReset", "AtMaintenanceWindowStart", "InMaintenanceWindowOnReset")
TASK_DONE = ("Completed", "Exception", "Killed", "Cancelled", "Interrupted")
TASK_OK = ("OK", "Warning")


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
        "uri": odata_id(body),
    }


def update_service(body):
    """UpdateService body -> how to update: SimpleUpdate target, push URIs and supported apply times."""
    actions = body.get("Actions") or {}
    simple = actions.get("#UpdateService.SimpleUpdate") or {}
    support = simple.get("@Redfish.OperationApplyTimeSupport") or {}
    push_options = (body.get("HttpPushUriOptions") or {}).get("HttpPushUriApplyTime") or {}
    supported = list(support.get("SupportedValues") or push_options.get("ApplyTime@Redfish.AllowableValues") or [])
    return {
        "simple_update": simple.get("target"),
        "simple_update_action_info": simple.get("@Redfish.ActionInfo"),
        "transfer_protocols": list(simple.get("TransferProtocol@Redfish.AllowableValues") or []),
        "multipart_push_uri": body.get("MultipartHttpPushUri"),
        "http_push_uri": body.get("HttpPushUri"),
        "firmware_inventory": odata_id(body.get("FirmwareInventory")),
        # A service that does not advertise apply times applies immediately (Redfish default).
        "apply_times": supported or ["Immediate"],
        "apply_times_advertised": bool(supported),
        "maintenance_window_resource": odata_id(support.get("MaintenanceWindowResource")),
        "maintenance_window": {
            k: support.get(k) or push_options.get(k)
            for k in ("MaintenanceWindowStartTime", "MaintenanceWindowDurationInSeconds")
            if support.get(k) or push_options.get(k)
        },
        "enabled": body.get("ServiceEnabled", True) is not False,
    }


def messages(body):
    """Messages of a Task or of an error body (``@Message.ExtendedInfo`` may be a list or one object)."""
    if not isinstance(body, dict):
        return []
    found = body.get("Messages")
    if found is None:
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        found = error.get("@Message.ExtendedInfo") or []
        if isinstance(found, dict):
            found = [found]
        if not found and error.get("message"):
            found = [{"MessageId": error.get("code", ""), "Message": error.get("message")}]
    result = []
    for item in found:
        if not isinstance(item, dict):
            continue
        args = item.get("MessageArgs")
        if isinstance(args, str):  # some Dell iDRACs send the string "[]"
            args = [] if args.strip() in ("", "[]") else [args]
        result.append(
            {
                "id": item.get("MessageId") or "",
                "message": item.get("Message") or item.get("Resolution") or "",
                "args": list(args or []),
                "severity": item.get("Severity") or item.get("MessageSeverity") or "",
            }
        )
    return [m for m in result if m["id"] or m["message"]]


def message_text(msgs):
    """One line from messages: 'Id(args): text; ...'."""
    parts = []
    for m in msgs:
        label = m["id"] + ("(" + ", ".join(str(a) for a in m["args"]) + ")" if m["args"] else "")
        parts.append(": ".join(p for p in (label, m["message"]) if p))
    return "; ".join(parts)


def message_ids(msgs):
    """Registry-independent message keys: 'Update.1.0.ApplyFailed' -> 'ApplyFailed'."""
    return [m["id"].rsplit(".", 1)[-1] for m in msgs if m["id"]]


def task(body):
    """Task (or task-monitor) body -> a summary with whether it is done and whether it succeeded."""
    state = body.get("TaskState") or "Running"
    status = body.get("TaskStatus") or "OK"
    msgs = messages(body)
    return {
        "id": body.get("Id"),
        "uri": odata_id(body),
        "monitor": body.get("TaskMonitor"),
        "state": state,
        "status": status,
        "percent": body.get("PercentComplete"),
        "messages": msgs,
        "done": state in TASK_DONE,
        "ok": state == "Completed" and status in TASK_OK,
        "staged": "AwaitToActivate" in message_ids(msgs) or "AwaitToUpdate" in message_ids(msgs),
    }
