# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs everylayer.patch.windows_updates: selection and reboot rounds here, the Windows Update Agent calls in
the PowerShell module on the host (plugin_utils/_windows)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows import record
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.argspec import (
    ARGUMENT_SPEC,
    MUTUALLY_EXCLUSIVE,
    REQUIRED_IF,
    RollbackError,
    rollback_kbs,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.runner import Run
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.selection import Selection, SelectionError
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.target import ActionTarget


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, mutually_exclusive=MUTUALLY_EXCLUSIVE
        )
        if args["max_rounds"] < 1 or args["reboot_timeout"] < 1:
            result.update(failed=True, changed=False, msg="max_rounds and reboot_timeout must be 1 or more")
            return result
        if (args["rollback"] is not None or args["kbs"]) and args["state"] != "rolled_back":
            result.update(failed=True, changed=False, msg="kbs and rollback are options of state rolled_back only")
            return result
        kbs, identities = args["kbs"], {}
        try:
            if args["rollback"] is not None:
                kbs, identities = rollback_kbs(args["rollback"])
                if not kbs:  # strategy none: the change record installed nothing
                    result.update(record.build([], [], False, record.rollback_block([]), simulated=False))
                    result.update(changed=False, state="rolled_back", msg="nothing to roll back: it installed nothing")
                    return result
            selection = Selection(
                category_names=args["category_names"],
                min_severity=args["min_severity"],
                accept_list=args["accept_list"],
                reject_list=args["reject_list"],
                deferral_days=args["deferral_days"],
                security_only=args["security_only"],
                update_ids=args["update_ids"],
            )
        except (SelectionError, RollbackError) as exc:
            result.update(failed=True, changed=False, msg=str(exc))
            return result
        run = Run(
            ActionTarget(self, task_vars),
            selection,
            state=args["state"],
            reboot=args["reboot"],
            max_rounds=args["max_rounds"],
            reboot_timeout=args["reboot_timeout"],
            server_selection=args["server_selection"],
            kbs=kbs,
            package_identities=identities,
            check_mode=bool(self._task.check_mode),
        )
        outcome = run.execute()
        if not self._task.diff:
            outcome.pop("diff", None)
        result.update(outcome)
        return result
