# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record a rollout decision in the evidence (documentation: plugins/modules/rollout_decision.py)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.action_base import RolloutAction
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.gate import host_decision

ARGUMENT_SPEC = {
    "kind": {"type": "str", "required": True, "choices": ["deferred", "rolled_back", "unchanged", "manifest_frozen"]},
    "wave": {"type": "str", "required": True},
    "reason": {"type": "str"},
    "change_record": {"type": "dict"},
    "details": {"type": "dict", "default": {}},
}


class ActionModule(RolloutAction):
    argument_spec = ARGUMENT_SPEC

    def act(self, args, task_vars):
        decision = host_decision(
            args["kind"],
            args["wave"],
            None if args["kind"] == "manifest_frozen" else task_vars.get("inventory_hostname"),
            args["reason"],
            args["change_record"],
            args["details"],
        )
        # the evidence callback records the `everylayer_decision` of a task's result (kind decision)
        return {"everylayer_decision": decision, "msg": f"{decision['kind']} ({args['wave']})"}
