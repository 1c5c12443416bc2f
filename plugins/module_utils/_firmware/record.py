# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Backend outcomes and their translation into the collection's change record (layer firmware)."""

from __future__ import annotations

from .._change import change, diff, record, rollback


def component_change(component_id, before, after, reboot_required=False):
    """One change entry of kind ``firmware``; the component is the device id."""
    return change(component_id, "firmware", before, after, reboot_required=reboot_required)


def outcome(changed, msg, **extra):
    """What a backend returns to the module: changed/msg, change lists, devices and backend details."""
    result = {
        "changed": bool(changed),
        "msg": msg,
        "changes": [],
        "pending": [],
        "devices": [],
        "reboot_required": False,
        "rollback_data": {},
    }
    result.update(extra)
    result["reboot_required"] = bool(result["reboot_required"]) or any(c["reboot_required"] for c in result["changes"])
    return result


EXTRA_KEYS = ("apply_time", "staged", "scheduled", "task", "bmc_reset_seen", "history")


def to_result(backend, state, outcome, want_diff=False):
    """The module result: change record (layer firmware) + the backend's device view and details."""
    rollback_data = outcome["rollback_data"] if outcome["changed"] else {}
    block = (
        rollback("firmware", {"backend": backend, "components": rollback_data}) if rollback_data else rollback("none")
    )
    result = {
        "changed": outcome["changed"],
        "msg": outcome["msg"],
        "backend": backend,
        "state": state,
        "devices": outcome["devices"],
    }
    result.update(record("firmware", outcome["changes"], outcome["pending"], outcome["reboot_required"], block))
    for key in EXTRA_KEYS:
        if key in outcome:
            result[key] = outcome[key]
    if want_diff:
        shown = outcome["changes"] + (outcome["pending"] if outcome["changed"] else [])
        result["diff"] = diff(shown, header="firmware")
    return result


def failure_result(backend, state, outcome):
    """The change record a failed task still carries (a component that moved before the failure): what
    ``to_result`` gives, without ``msg`` (the failure's message is the module's)."""
    result = to_result(backend, state, outcome)
    result.pop("msg", None)
    return result
