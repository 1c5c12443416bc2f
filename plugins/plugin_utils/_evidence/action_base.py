# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""What the evidence action plugins share: options read on the controller, errors as a failed task.

``STORE_ARG_SPEC`` pairs with the doc fragment ``everylayer.patch.evidence_store``.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from .store import EvidenceError

STORE_ARG_SPEC = {"store": {"type": "str"}}


class EvidenceAction(ActionBase):
    """Validate the options, run ``evidence(args)`` and report its result; never ``changed``.

    Reading or reporting evidence is bookkeeping on the controller, not a change to the estate.
    """

    TRANSFERS_FILES = False
    _requires_connection = False

    argument_spec: dict = STORE_ARG_SPEC
    errors: tuple[type[Exception], ...] = (EvidenceError,)  # caught and returned as a failed task
    error_prefix = ""  # put before the error's text in msg

    def evidence(self, args: dict) -> dict:
        raise NotImplementedError

    def summary(self, outcome: dict) -> str:
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validated, args = self.validate_argument_spec(argument_spec=self.argument_spec)
        try:
            outcome = self.evidence(args)
        except self.errors as exc:
            return dict(result, failed=True, msg=f"{self.error_prefix}{exc}")
        result.update(outcome)
        result["changed"] = False
        result["msg"] = self.summary(outcome)
        return result
