# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record a rollout decision in the evidence (documentation: plugins/modules/rollout_decision.py)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {
    "kind": {"type": "str", "required": True, "choices": ["deferred", "rolled_back", "unchanged", "manifest_frozen"]},
    "wave": {"type": "str", "required": True},
    "reason": {"type": "str"},
    "change_record": {"type": "dict"},
    "details": {"type": "dict", "default": {}},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _validated, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        kind = args["kind"]
        decision = {"kind": kind, "wave": args["wave"]}
        if kind != "manifest_frozen":
            decision["host"] = task_vars.get("inventory_hostname")
        if kind == "rolled_back":
            record = args["change_record"]
            if record is None:
                return dict(result, failed=True, msg="kind=rolled_back needs the change_record that was rolled back")
            if not record.get("changes"):
                # nothing was changed, so nothing was rolled back: the host failed before its first change
                kind = decision["kind"] = "unchanged"
                decision["note"] = "the failed change record lists no change: recorded as unchanged, not rolled back"
        if args["reason"] is not None:
            decision["reason"] = args["reason"]
        clash = sorted(set(args["details"]) & set(decision))
        if clash:
            return dict(result, failed=True, msg=f"details may not set {', '.join(clash)}")
        decision.update(args["details"])
        # the evidence callback records the `everylayer_decision` of a task's result (kind decision)
        result.update(changed=False, everylayer_decision=decision, msg=f"{kind} ({args['wave']})")
        return result
