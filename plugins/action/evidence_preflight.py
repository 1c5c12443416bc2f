# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Refuse to go on when this run's evidence is not recorded (documentation: plugins/modules/evidence_preflight.py)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.action_base import (
    STORE_ARG_SPEC,
    EvidenceAction,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import preflight

ARGUMENT_SPEC = {**STORE_ARG_SPEC, "required": {"type": "bool", "default": True}}


class ActionModule(EvidenceAction):
    argument_spec = ARGUMENT_SPEC
    error_prefix = "evidence preflight: "

    def evidence(self, args: dict) -> dict:
        outcome = preflight(args["store"], args["required"])
        if not outcome["recording"] and args["required"]:
            outcome["failed"] = True
        return outcome

    def summary(self, outcome: dict) -> str:
        if outcome["recording"]:
            return f"evidence is recorded: run {outcome['run_id']} into {outcome['store']} ({outcome['backend']})"
        verdict = "refusing to go on" if outcome.get("failed") else "going on (required: false)"
        return f"evidence is NOT recorded, {verdict}: {outcome['cause']}"
