# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the evidence chain on the controller (documentation: plugins/modules/evidence_verify.py)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.action_base import (
    STORE_ARG_SPEC,
    EvidenceAction,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import keyed_options, verify_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.redact import redact_text
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.signing import sign_receipt
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError

ARGUMENT_SPEC = {
    **STORE_ARG_SPEC,
    "expected_head": {"type": "str"},
    "run_id": {"type": "str"},
    "fail_on_mismatch": {"type": "bool", "default": True},
    "allow_empty": {"type": "bool", "default": False},
    "signing_key_file": {"type": "path"},
    "signing_key": {"type": "str", "no_log": True},
    "require_signature": {"type": "bool", "default": False},
    "receipt_log": {"type": "path"},
    "receipt": {"type": "dict"},
}
KEYED = ("signing_key_file", "signing_key", "require_signature", "receipt_log", "receipt")


class ActionModule(EvidenceAction):
    argument_spec = ARGUMENT_SPEC

    def evidence(self, args: dict) -> dict:
        try:
            keyed = keyed_options(**{name: args[name] for name in KEYED})
        except EvidenceError as exc:  # a bad key or receipt log: the task fails naming it (never the key)
            return {"failed": True, "verified": False, "summary": f"evidence NOT verified: {redact_text(str(exc))}"}
        try:
            outcome = verify_store(args["store"], args["expected_head"], args["run_id"], args["allow_empty"], keyed)
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
        signer = keyed["signer"]
        if outcome["verified"] and signer is not None and signer.can_sign and outcome.get("head"):
            # a signed statement of the head just verified, ready for set_stats (AWX artifacts) or a receipt log
            fields = {"run_id": args["run_id"], "head": outcome["head"], "head_seq": outcome["head_seq"]}
            outcome["receipt"] = sign_receipt(signer, dict(fields, records=outcome["records"], digest=None))
        if not outcome["verified"] and args["fail_on_mismatch"]:
            outcome["failed"] = True
        return outcome

    def summary(self, outcome: dict) -> str:
        return outcome["summary"]
