# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record a rollout decision in the evidence (documentation: plugins/modules/rollout_decision.py)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.action_base import RolloutAction
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.approvals import FIELDS as APPROVAL_FIELDS
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.gate import DecisionError, host_decision

HOST_KINDS = ("deferred", "rolled_back", "unchanged", "baseline")
WAVE_KINDS = ("manifest_frozen", "approval")  # about the wave, not a host
ARGUMENT_SPEC = {
    "kind": {"type": "str", "required": True, "choices": [*HOST_KINDS, *WAVE_KINDS]},
    "wave": {"type": "str", "required": True},
    "reason": {"type": "str"},
    "change_record": {"type": "dict"},
    "details": {"type": "dict", "default": {}},
}


class ActionModule(RolloutAction):
    argument_spec = ARGUMENT_SPEC

    def act(self, args, task_vars):
        if args["kind"] == "approval":
            missing = [f for f in APPROVAL_FIELDS if not str(args["details"].get(f) or "").strip()]
            if missing:
                raise DecisionError(
                    f"kind=approval of wave {args['wave']} needs details {', '.join(missing)} (who, when, which change)"
                )
        decision = host_decision(
            args["kind"],
            args["wave"],
            None if args["kind"] in WAVE_KINDS else task_vars.get("inventory_hostname"),
            args["reason"],
            args["change_record"],
            args["details"],
        )
        # the evidence callback records the `everylayer_decision` of a task's result (kind decision)
        return {"everylayer_decision": decision, "msg": f"{decision['kind']} ({args['wave']})"}
