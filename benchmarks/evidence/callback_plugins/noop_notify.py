# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A notification callback that reads every task result and records nothing: the floor any such callback pays.

Enabled by benchmarks/evidence/run.py (variant "no-op callback"), so that the evidence callback's overhead can be
split into what ansible-core charges for one more enabled callback and what recording costs on top of it.
"""

from __future__ import annotations

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: noop_notify
type: notification
short_description: Read every task result, record nothing (benchmark floor)
description:
  - Used only by benchmarks/evidence/run.py.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "noop_notify"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self.seen = 0

    def _read(self, result):
        # what the evidence callback reads from each result before it records anything
        self.seen += len(dict(result.result)) + len(result.task.get_name()) + len(result.host.get_name())

    def v2_runner_on_ok(self, result):
        self._read(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._read(result)
