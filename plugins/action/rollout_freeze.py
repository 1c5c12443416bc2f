# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Freeze what a freezing wave installed (documentation: plugins/modules/rollout_freeze.py)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.action_base import RolloutAction
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.gate import host_decision
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.plan import freeze, merged, write_manifest

ARGUMENT_SPEC = {
    "wave": {"type": "str", "required": True},
    "hosts": {"type": "list", "elements": "str", "required": True},
    "manifest": {"type": "dict", "default": {}},
    "dest": {"type": "path"},
    "run_id": {"type": "str"},
    "change_id": {"type": "str"},
}


class ActionModule(RolloutAction):
    argument_spec = ARGUMENT_SPEC

    def act(self, args, task_vars):
        hostvars = task_vars.get("hostvars") or {}
        manifest = merged(args["manifest"], freeze([hostvars[host] for host in args["hosts"] if host in hostvars]))
        check_mode = bool(self._task.check_mode)
        written = bool(manifest) and not check_mode and args["dest"] is not None
        changed = written and write_manifest(args["dest"], args["run_id"], args["change_id"], manifest)
        details = {"manifest": manifest, "path": args["dest"] if written else None, "planned_only": check_mode}
        # the evidence callback records the `everylayer_decision` of a task's result (kind decision)
        result = {
            "changed": changed,
            "manifest": manifest,
            "ansible_facts": {"rollout_manifest": manifest},
            "everylayer_decision": host_decision("manifest_frozen", args["wave"], details=details),
            "msg": f"{sum(len(entries) for entries in manifest.values())} entries frozen after wave {args['wave']}"
            + (f" ({args['dest']})" if written else ""),
        }
        if written:
            # the AWX workflow's artifact (set_stats): the next node's rollout installs exactly this
            frozen = {"run_id": args["run_id"], "change_id": args["change_id"], "wave": args["wave"]}
            frozen["manifest"] = manifest
            result["ansible_stats"] = {"data": {"rollout_frozen": frozen}, "per_host": False, "aggregate": False}
        return result
