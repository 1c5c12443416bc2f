# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan one host in a rollout wave (documentation: plugins/modules/rollout_host_plan.py)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.action_base import RolloutAction, RolloutError
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.maintenance import PolicyError, decide
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.plan import PlanError, host_plan

ARGUMENT_SPEC = {
    "wave": {"type": "str", "required": True},
    "freeze": {"type": "bool", "default": False},
    "asset": {"type": "dict", "default": {}},
    "window": {"type": "str", "default": "always"},
    "policy": {"type": "dict", "default": {}},
    "now": {"type": "str"},
    "manifest": {"type": "dict", "default": {}},
    "manifest_group": {"type": "str", "default": "any"},
    "targets": {"type": "dict", "default": {}},
    "host": {"type": "dict", "default": {}},
    "require_tested_target": {"type": "bool", "default": False},
}


class ActionModule(RolloutAction):
    argument_spec = ARGUMENT_SPEC

    def act(self, args, task_vars):
        try:
            window = decide(args["window"], args["policy"], args["now"], task_vars.get("group_names") or ())
            plan = host_plan(
                args["asset"],
                args["freeze"],
                window,
                args["manifest"],
                args["manifest_group"],
                args["targets"],
                args["host"],
                args["require_tested_target"],
            )
        except PolicyError as exc:
            raise RolloutError(f"window policy: {exc}") from None
        except PlanError as exc:
            raise RolloutError(f"rollout plan: {exc}") from None
        outcome = "deferred" if plan["deferred"] else "pending"
        result = {"plan": plan, "ansible_facts": {"rollout_plan": plan, "rollout_outcome": outcome}}
        if plan["deferred"]:
            # the evidence callback records the `everylayer_decision` of a task's result (kind decision)
            result["everylayer_decision"] = {
                "kind": "deferred",
                "wave": args["wave"],
                "host": task_vars.get("inventory_hostname"),
                "reason": plan["deferred"],
            }
            result["msg"] = f"deferred: {plan['deferred']}"
        else:
            result["msg"] = f"{plan['layer']}: patch in wave {args['wave']}"
        return result
