# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the evidence chain on the controller (documentation: plugins/modules/evidence_verify.py)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import verify_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError

ARGUMENT_SPEC = {
    "store": {"type": "str"},
    "expected_head": {"type": "str"},
    "run_id": {"type": "str"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validated, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            result.update(verify_store(args["store"], args["expected_head"], args["run_id"]))
        except EvidenceError as exc:
            return dict(result, failed=True, msg=str(exc))
        result["changed"] = False
        result["msg"] = result["summary"]
        return result
