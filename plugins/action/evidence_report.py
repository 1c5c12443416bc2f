# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the evidence report on the controller (documentation: plugins/modules/evidence_report.py)."""

from __future__ import annotations

import functools
import json

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import report_compliance
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.action_base import (
    STORE_ARG_SPEC,
    EvidenceAction,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import write_report
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.common import GovernanceError

ARGUMENT_SPEC = {
    "dest": {"type": "path", "required": True},
    "formats": {
        "type": "list",
        "elements": "str",
        "choices": ["html", "json", "csv"],
        "default": ["html", "json", "csv"],
    },
    **STORE_ARG_SPEC,
    "run_id": {"type": "str"},
    "start": {"type": "str"},
    "end": {"type": "str"},
    "title": {"type": "str"},
    # the compliance overview (docs/governance.md)
    "compliance": {"type": "bool"},
    "policy": {"type": "path"},
    "exceptions": {"type": "path"},
    "osv": {"type": "list", "elements": "str"},
    "kev": {"type": "str"},
    "epss": {"type": "str"},
    "as_of": {"type": "str"},
    "due_soon_days": {"type": "int"},
    "unknown_after_days": {"type": "int"},
    "assets": {"type": "dict"},
}


def _inventory_assets(task_vars):
    """Host name -> the asset map's ``asset`` variable, for every inventory host that has one."""
    hostvars = (task_vars or {}).get("hostvars") or {}
    found = {}
    for host in hostvars:
        asset = hostvars[host].get("asset")
        if isinstance(asset, dict):
            found[str(host)] = json.loads(json.dumps(asset, default=str))  # plain data, no templating tags
    return found


class ActionModule(EvidenceAction):
    argument_spec = ARGUMENT_SPEC
    errors = (EvidenceError, GovernanceError, OSError)
    error_prefix = "cannot write the evidence report: "

    def run(self, tmp=None, task_vars=None):
        self._task_vars = task_vars
        return super().run(tmp, task_vars)

    def evidence(self, args: dict) -> dict:
        overview = None
        if report_compliance.wanted(args):
            if args["assets"] is None:
                args = dict(args, assets=_inventory_assets(self._task_vars))
            overview = functools.partial(report_compliance.overview, args=args)
        return write_report(
            args["dest"],
            args["formats"],
            args["store"],
            args["run_id"],
            args["start"],
            args["end"],
            args["title"],
            overview=overview,
        )

    def summary(self, outcome: dict) -> str:
        text = f"evidence report written: {', '.join(sorted(outcome['paths'].values()))}"
        if "compliance" in outcome:
            rate = outcome["compliance"]["compliance_rate"]
            text += f"; compliance as of {outcome['compliance']['as_of']}: " + (
                "no asset-layer" if rate is None else f"{rate * 100:.1f}%"
            )
        return text
