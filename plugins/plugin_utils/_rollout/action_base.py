# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""What the rollout's action plugins share: options validated on the controller, errors as a failed task.

The rollout's plan, host plans, gates and decisions are controller bookkeeping. They connect to a host only to run
a module there (a host plan's baseline scan or OS patch), and report ``changed`` only for what they change (the
frozen manifest file ``rollout_freeze`` writes, an OS patch). A decision is returned as ``everylayer_decision``,
which the evidence callback records.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from .gate import DecisionError
from .maintenance import PolicyError
from .plan import PlanError
from .waves import WaveError


class RolloutError(Exception):
    """A rollout action cannot do its job; the message says why."""


class RolloutAction(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    argument_spec: dict = {}
    errors: tuple[type[Exception], ...] = (RolloutError, WaveError, PlanError, PolicyError, DecisionError)

    def act(self, args: dict, task_vars: dict) -> dict:
        """The task's result (``changed`` only when it wrote something, else left out: false); raise one of
        ``errors`` to fail the task with its message."""
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validated, args = self.validate_argument_spec(argument_spec=self.argument_spec)
        try:
            outcome = self.act(args, task_vars or {})
        except self.errors as exc:
            return dict(result, failed=True, msg=str(exc))
        result.update(outcome)
        result["changed"] = bool(result.get("changed"))
        return result
