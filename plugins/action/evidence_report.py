# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the evidence report on the controller (documentation: plugins/modules/evidence_report.py)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
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
    "store": {"type": "str"},
    "run_id": {"type": "str"},
    "start": {"type": "str"},
    "end": {"type": "str"},
    "title": {"type": "str"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validated, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            written = write_report(
                args["dest"],
                args["formats"],
                args["store"],
                args["run_id"],
                args["start"],
                args["end"],
                args["title"],
            )
        except (EvidenceError, OSError) as exc:
            return dict(result, failed=True, msg=f"cannot write the evidence report: {exc}")
        result.update(written)
        # Writing a report file is bookkeeping on the controller, not a change to the estate.
        result["changed"] = False
        result["msg"] = f"evidence report written: {', '.join(sorted(written['paths'].values()))}"
        return result
