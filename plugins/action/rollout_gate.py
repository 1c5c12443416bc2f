# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout's gate after a wave (documentation: plugins/modules/rollout_gate.py)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import resolve_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.gate import host_outcomes, open_rollbacks
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.action_base import RolloutAction, RolloutError
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.gate import decide, message, play_outcomes

ARGUMENT_SPEC = {
    "wave": {"type": "str", "required": True},
    "hosts": {"type": "list", "elements": "str", "required": True},
    "min_success": {"type": "float", "default": 1.0},
    "allow_empty": {"type": "bool", "default": False},
    "source": {"type": "str", "choices": ["evidence", "play"], "default": "evidence"},
    "run_id": {"type": "str"},
    "store": {"type": "str"},
    "open_rollbacks_hosts": {"type": "list", "elements": "str"},
}


class ActionModule(RolloutAction):
    argument_spec = ARGUMENT_SPEC

    def act(self, args, task_vars):
        if not 0 <= args["min_success"] <= 1:
            raise RolloutError(f"min_success must be from 0 to 1, got {args['min_success']}")
        hosts, opened = args["hosts"], []
        if args["source"] == "evidence":
            if not args["run_id"]:
                raise RolloutError("source=evidence needs the run_id of the recording callback")
            try:
                outcomes, opened = self._from_evidence(args, hosts)
            except EvidenceError as exc:
                raise RolloutError(f"gate after wave {args['wave']}: evidence store: {exc}") from None
        else:
            outcomes = play_outcomes(hosts, task_vars.get("hostvars") or {})
        decision = decide(
            args["wave"],
            outcomes,
            args["min_success"],
            opened,
            source=args["source"],
            allow_empty=args["allow_empty"],
            check_mode=bool(self._task.check_mode),
        )
        decision["outcomes"] = outcomes
        # the evidence callback records the `everylayer_decision` of a task's result (kind decision)
        result = {"everylayer_decision": decision, "passed": decision["passed"], "msg": message(decision)}
        if not decision["passed"]:
            result["failed"] = True
        return result

    @staticmethod
    def _from_evidence(args, hosts):
        scope = set(args["open_rollbacks_hosts"] or hosts)
        with open_store(resolve_store(args["store"])) as store:
            every = list(store.records())
        run = [rec for rec in every if rec.run_id == args["run_id"]]
        if not run:
            raise EvidenceError(f"run {args['run_id']} has no records (is the evidence callback recording?)")
        return host_outcomes(run, hosts), open_rollbacks(every, scope)
