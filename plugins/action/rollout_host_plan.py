# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan one host in a rollout wave (documentation: plugins/modules/rollout_host_plan.py)."""

from __future__ import annotations

try:  # what ansible.builtin.package uses to give the module it runs the task's module_defaults (ansible-core 2.19)
    from ansible.executor.module_common import _apply_action_arg_defaults
except ImportError:  # pragma: no cover - another ansible-core: the packages module gets the arguments as given
    _apply_action_arg_defaults = None
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import resolve_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.common import GovernanceError
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.compliance import pending_since
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout import baseline as governance
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.action_base import RolloutAction, RolloutError
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.gate import host_decision
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.maintenance import PolicyError, decide
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.os_patch import (
    PACKAGES,
    REBOOT_POLICIES,
    module_args,
    needs_role_steps,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.plan import PlanError, host_plan
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.settings import (
    check_entry_points,
    entry_point_spec,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.runner import Run
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.selection import Selection, SelectionError
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.target import ActionTarget

#: the module that scans a governed host of each layer (state=scanned)
SCANNERS = {"os": "everylayer.patch.packages", "windows": "everylayer.patch.windows_updates"}

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
    "baseline": {"type": "dict", "default": {}},
    "exceptions": {"type": "raw"},
    "evidence_store": {"type": "str"},
    "os_patch": {"type": "dict"},
    "reboot_policy": {"type": "str", "choices": list(REBOOT_POLICIES), "default": "when_required"},
}

# The wave plays import the rollout role's `host` entry point, and host.yml the apply role's `os` entry point, with
# rolespec_validate: false (one task less per host and entry point); this action checks their settings instead
# (plugin_utils/_rollout/settings.py). Skipped: what the rollout sets itself (the wave's plan, and the apply
# settings host.yml takes from the host's plan and from rollout_os_precheck/rollout_os_postcheck, checked as such).
HOST_SETTINGS = ("everylayer.patch.rollout", "host", entry_point_spec("rollout", "host"), ("rollout_wave_spec",))
OS_SETTINGS = (
    "everylayer.patch.apply",
    "os",
    entry_point_spec("apply", "os"),
    ("apply_manifest", "apply_precheck", "apply_postcheck"),
)
# Settings this task already templated as its own arguments (host.yml): checked from those, not templated twice.
SETTING_ARGS = {
    "rollout_baseline": "baseline",
    "rollout_exceptions": "exceptions",
    "rollout_require_pilot_target": "require_tested_target",
    "rollout_window_name": "window",
    "rollout_manifest_key": "manifest_group",
}


class ActionModule(RolloutAction):
    argument_spec = ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        given = {name: self._task.args[arg] for name, arg in SETTING_ARGS.items() if arg in self._task.args}
        failed = check_entry_points(self._templar, task_vars, [HOST_SETTINGS], given)
        if failed:
            return failed
        result = super().run(tmp, task_vars)
        plan = result.get("plan") or {}
        if result.get("failed") or plan.get("layer") != "os" or plan.get("deferred"):
            return result
        # checked where Ansible checked them: for an OS host that is patched now
        settings = self._task.args.get("os_patch")
        os_given = {f"apply_{key}": value for key, value in (settings or {}).items()}
        failed = check_entry_points(self._templar, task_vars, [OS_SETTINGS], os_given)
        if failed:
            result.pop("ansible_facts", None)
            result.update(failed)
            return result
        if settings is not None:
            result = self._patch(result, plan, settings, task_vars)
        return result

    def _patch(self, planned, plan, settings, task_vars):
        """Run the OS host's patch (packages state=patched with its precheck and postcheck) in this task.

        The result is the module's change record (the evidence callback records it, the task registers it as
        ``apply_result``) with the plan beside it; ``rollout_outcome`` is ``patched`` unless the host still has to
        reboot through the roles (``pending``)."""
        args = module_args(settings, plan["manifest"])
        if _apply_action_arg_defaults is not None and self._task.module_defaults:
            # the task's module_defaults for the packages module (or group/everylayer.patch.patch), as os.yml gets them
            args = _apply_action_arg_defaults(PACKAGES, self._task, args, self._templar)
        patched = self._execute_module(module_name=PACKAGES, module_args=args, task_vars=task_vars)
        # the plan beside the change record (the rescue reads its layer); its baseline is in the decision already
        result = dict(patched, plan={key: value for key, value in plan.items() if key != "baseline"})
        if "everylayer_decision" in planned:
            result["everylayer_decision"] = planned["everylayer_decision"]
        if patched.get("failed"):
            result["msg"] = f"{PACKAGES} state=patched: {patched.get('msg') or 'failed'}"
            return result
        done = not needs_role_steps(patched, self._task.args.get("reboot_policy") or "when_required")
        result["ansible_facts"] = {"rollout_plan": plan, "rollout_outcome": "patched" if done else "pending"}
        result["msg"] = f"{planned.get('msg')}: {patched.get('msg') or 'patched'}"
        return result

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
            if args["baseline"] and plan["layer"] in SCANNERS and not plan["deferred"]:
                self._baseline(args, plan, task_vars)
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
            if plan.get("baseline"):
                result["everylayer_decision"]["baseline"] = plan["baseline"]
            result["msg"] = f"deferred: {plan['deferred']}"
        else:
            result["msg"] = f"{plan['layer']}: patch in wave {args['wave']}"
            if plan.get("baseline"):
                # what the baseline approved and why the rest waits: recorded like rollout_decision kind=baseline
                summary = plan["baseline"]["summary"]
                host = task_vars.get("inventory_hostname")
                result["everylayer_decision"] = host_decision(
                    "baseline", args["wave"], host, summary, None, {"baseline": plan["baseline"]}
                )
                result["msg"] += f" (baseline: {summary})"
        return result

    def _baseline(self, args, plan, task_vars):
        """Scan the host now, decide its pending updates under the baseline: the approved ones are its selection."""
        gov = governance.load(args["baseline"], args["exceptions"] or None)
        host, layer = task_vars.get("inventory_hostname"), plan["layer"]
        if layer == "windows":
            scan = self._windows_scan(gov, task_vars)
        else:
            scan = self._execute_module(
                module_name=SCANNERS[layer], module_args=dict(gov.scan, state="scanned"), task_vars=task_vars
            )
        if scan.get("failed") or not isinstance(scan.get("pending"), list):
            raise RolloutError(
                f"baseline: the scan of {host} ({SCANNERS[layer]} state=scanned) failed: "
                f"{scan.get('msg') or 'no pending list returned'}"
            )
        first_seen = {}
        if gov.first_seen and args["evidence_store"]:
            try:
                with open_store(resolve_store(args["evidence_store"]), readonly=True) as store:
                    first_seen = pending_since(store.records(host=host), host, layer)
            except (EvidenceError, GovernanceError) as exc:
                raise RolloutError(f"baseline: since when updates are pending on {host}: {exc}") from None
        chosen = governance.select(
            gov, scan, args["asset"], host, args["freeze"], plan["manifest"], first_seen, layer=layer
        )
        plan.update(manifest=chosen["manifest"], deferred=chosen["deferred"], baseline=chosen["decision"])

    def _windows_scan(self, gov, task_vars):
        """windows_updates state=scanned, run here like the module's own action runs it (one search on the host)."""
        options = dict(gov.windows_scan)
        server = options.pop("server_selection", "default")
        try:
            selection = Selection(**options)
        except (SelectionError, TypeError, ValueError) as exc:
            raise RolloutError(f"rollout_baseline.windows_scan: {exc}") from None
        run = Run(ActionTarget(self, task_vars), selection, state="scanned", server_selection=server)
        return run.execute()
