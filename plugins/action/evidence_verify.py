# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the evidence chain on the controller (documentation: plugins/modules/evidence_verify.py)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.action_base import (
    STORE_ARG_SPEC,
    EvidenceAction,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import verify_store

ARGUMENT_SPEC = {
    **STORE_ARG_SPEC,
    "expected_head": {"type": "str"},
    "run_id": {"type": "str"},
}


class ActionModule(EvidenceAction):
    argument_spec = ARGUMENT_SPEC

    def evidence(self, args: dict) -> dict:
        return verify_store(args["store"], args["expected_head"], args["run_id"])

    def summary(self, outcome: dict) -> str:
        return outcome["summary"]
