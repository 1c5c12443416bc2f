# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark task: returns a change record without running a module, so the run is as cheap as a task gets
and the callback's share of it is as large as it gets (a worst case for the overhead ratio)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        component = self._task.args.get("component", "lab-agent")
        result.update(
            changed=True,
            layer="os",
            changes=[
                {
                    "component": component,
                    "kind": "package",
                    "before": "1.0-1",
                    "after": "1.1-1",
                    "advisories": ["CVE-2026-0001"],
                    "severity": "high",
                    "reboot_required": False,
                }
            ],
            pending=[],
            reboot_required=False,
            rollback={"strategy": "packages", "data": {component: "1.0-1"}},
        )
        return result
