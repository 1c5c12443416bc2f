# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the evidence chain on the controller (documentation: plugins/modules/evidence_verify.py)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.action_base import (
    STORE_ARG_SPEC,
    EvidenceAction,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import verify_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.redact import redact_text
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError

ARGUMENT_SPEC = {
    **STORE_ARG_SPEC,
    "expected_head": {"type": "str"},
    "run_id": {"type": "str"},
    "fail_on_mismatch": {"type": "bool", "default": True},
    "allow_empty": {"type": "bool", "default": False},
}


class ActionModule(EvidenceAction):
    argument_spec = ARGUMENT_SPEC

    def evidence(self, args: dict) -> dict:
        try:
            outcome = verify_store(args["store"], args["expected_head"], args["run_id"], args["allow_empty"])
        except EvidenceError as exc:  # a missing store or table is a verification failure, never a new store
            msg = redact_text(str(exc))
            outcome = {
                "ok": False,
                "verified": False,
                "records": 0,
                "runs": 0,
                "problems": [{"problem": "store", "seq": 0, "msg": msg}],
                "summary": f"evidence NOT verified: {msg}",
                "interrupted_runs": [],
                "unknown_hosts": [],
            }
        outcome.pop("ok", None)
        if not outcome["verified"] and args["fail_on_mismatch"]:
            outcome["failed"] = True
        return outcome

    def summary(self, outcome: dict) -> str:
        return outcome["summary"]
