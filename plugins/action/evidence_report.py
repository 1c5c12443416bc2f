# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the evidence report on the controller (documentation: plugins/modules/evidence_report.py)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.action_base import (
    STORE_ARG_SPEC,
    EvidenceAction,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import write_report
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError

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
}


class ActionModule(EvidenceAction):
    argument_spec = ARGUMENT_SPEC
    errors = (EvidenceError, OSError)
    error_prefix = "cannot write the evidence report: "

    def evidence(self, args: dict) -> dict:
        return write_report(
            args["dest"], args["formats"], args["store"], args["run_id"], args["start"], args["end"], args["title"]
        )

    def summary(self, outcome: dict) -> str:
        return f"evidence report written: {', '.join(sorted(outcome['paths'].values()))}"
