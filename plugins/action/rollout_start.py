# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the rollout's data and plan its waves (documentation: plugins/modules/rollout_start.py)."""

from __future__ import annotations

import datetime as dt

from ansible.plugins.loader import lookup_loader
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout import baseline as governance
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.action_base import RolloutAction
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.approvals import check_approvals
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.plan import load_manifest
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.waves import (
    WaveError,
    check_serial,
    check_waves,
    is_core,
    needs_change_id,
    plan_waves,
    selected,
)

ARGUMENT_SPEC = {
    "waves": {"type": "raw", "required": True},
    "run_waves": {"type": "raw"},
    "allow_empty": {"type": "bool", "default": False},
    "core_group": {"type": "str", "default": "core"},
    "change_id": {"type": "str"},
    "manifest_file": {"type": "path"},
    "run_id": {"type": "str"},
    "slots": {"type": "int", "default": 0},
    "core_serial": {"type": "raw", "default": 1},
    "require_approval": {"type": "bool", "default": True},
    "approvals": {"type": "dict", "default": {}},
    "approval": {"type": "dict", "default": {}},
    "baseline": {"type": "dict", "default": {}},
    "exceptions": {"type": "raw"},
}


class ActionModule(RolloutAction):
    argument_spec = ARGUMENT_SPEC

    def act(self, args, task_vars):
        defined = check_waves(args["waves"], args["require_approval"])
        waves = selected(defined, args["run_waves"])
        if needs_change_id(waves) and not (args["change_id"] or "").strip():
            freezing = [wave["name"] for wave in waves if wave["freeze"]] or ["the first wave"]
            raise WaveError(
                f"change_id is required for the waves {', '.join(w['name'] for w in waves if not w['freeze'])} "
                f"(-e change_id=CHG-1234); run only {', '.join(freezing)} with rollout_run_waves to try a "
                "patch set without one"
            )
        # every approval and the baseline's data are checked before the first wave: a wrong one touches nothing
        approvals = check_approvals(
            waves, args["approvals"], args["approval"], args["change_id"], known=[w["name"] for w in defined]
        )
        gov = governance.load(args["baseline"], args["exceptions"] or None)
        matched = {wave["name"]: self._hosts(wave["hosts"], task_vars) for wave in waves}
        limit = task_vars.get("ansible_limit")
        if limit:  # --limit: the waves plan only the hosts the plays may run on
            allowed = set(self._hosts(limit, task_vars))
            matched = {name: [h for h in hosts if h in allowed] for name, hosts in matched.items()}
        core_serial = check_serial(args["core_serial"], "rollout_core_serial")
        plan = plan_waves(waves, matched, self._core(matched, args["core_group"], task_vars), args["allow_empty"])
        for wave in plan:
            wave["core_serial"] = core_serial
            wave["approval"] = approvals.get(wave["name"])
        if args["slots"] and len(plan) > args["slots"]:
            raise WaveError(
                f"rollout_waves: {len(plan)} waves to run, the rollout playbook has {args['slots']} wave slots; "
                "add an import_playbook line of wave.yml to playbooks/rollout.yml (see docs/rollouts.md)"
            )
        manifest = load_manifest(args["manifest_file"]) if args["manifest_file"] else {}
        result = {}
        if manifest and any(wave["freeze"] for wave in plan):
            # a freezing wave of this run freezes the manifest afresh: the later waves install what it tested
            result["warnings"] = [f"rollout_manifest_file {args['manifest_file']} is not used: a freezing wave runs"]
            manifest = {}
        now = dt.datetime.now(dt.UTC)
        lines = [_line(wave) for wave in plan]
        if gov is not None:
            expiring = gov.expiring()
            result["expiring"] = expiring
            lines.append(f"baselines {', '.join(gov.names())} as of {gov.now}")
            if expiring:
                soon = ", ".join(f"{e['id']} ({e['owner']}) on {e['expires']}" for e in expiring)
                lines.append(f"exceptions expiring within {gov.policy['exceptions_expiring_days']} days: {soon}")
                result.setdefault("warnings", []).append(f"exceptions expiring soon: {soon}; renew or remove them")
        result.update(
            waves=plan,
            msg="; ".join(lines),
            ansible_facts={
                "rollout_wave_plan": plan,
                "rollout_manifest": manifest,
                "rollout_run_id": args["run_id"] or now.strftime("%Y%m%dT%H%M%SZ"),
                "rollout_now": now.isoformat(timespec="seconds"),
            },
        )
        return result

    @staticmethod
    def _core(matched, core_group, task_vars):
        """The planned hosts that are core devices (one at a time in every wave)."""
        members = set((task_vars.get("groups") or {}).get(core_group) or ())
        hostvars = task_vars.get("hostvars") or {}
        core = set()
        for host in {h for hosts in matched.values() for h in hosts}:
            own = hostvars.get(host) or {}
            if is_core(own.get("asset"), own, [core_group] if host in members else [], core_group):
                core.add(host)
        return core

    def _hosts(self, pattern, task_vars):
        lookup = lookup_loader.get("ansible.builtin.inventory_hostnames", loader=self._loader, templar=self._templar)
        return [str(host) for host in lookup.run([pattern], variables=task_vars)]


def _line(wave):
    core = f" ({len(wave['core_hosts'])} core, one at a time)" if wave["core_hosts"] else ""
    approval = wave.get("approval")
    approved = f", approved by {approval['approver']} at {approval['approved_at']}" if approval else ""
    return f"wave {wave['name']}: {wave['count']} host(s){core}{approved}"
