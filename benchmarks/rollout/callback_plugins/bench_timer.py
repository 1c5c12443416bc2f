# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper: wall time per task (start of a task to the start of the next), summed by task name.

Enabled by benchmarks/rollout/run.py --profile; writes $BENCH_TIMER_DIR/timer-$BENCH_TIMER_NAME.json.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: wall time per task, for benchmarks/rollout
description: Sums the wall time of every task (until the next task starts) by task name and action.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self.current = None
        self.started = None
        self.totals = {}
        self.results = {}
        self.run_start = time.monotonic()

    def _close(self):
        if self.current is not None:
            entry = self.totals.setdefault(self.current, {"seconds": 0.0, "starts": 0})
            entry["seconds"] += time.monotonic() - self.started
            entry["starts"] += 1
        self.current = None

    def v2_playbook_on_play_start(self, play):
        self._close()
        self.current, self.started = "(play start: " + play.get_name() + ")", time.monotonic()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self.current, self.started = f"{task.get_name()} [{task.action}]", time.monotonic()

    def v2_playbook_on_include(self, included_file):
        self._close()
        self.current, self.started = "(include)", time.monotonic()

    def _result(self, result, status):
        key = f"{result.task.get_name()} [{result.task.action}]"
        self.results.setdefault(key, {}).setdefault(status, 0)
        self.results[key][status] += 1

    def v2_runner_on_ok(self, result):
        self._result(result, "ok")

    def v2_runner_on_skipped(self, result):
        self._result(result, "skipped")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, "failed")

    def v2_playbook_on_stats(self, stats):
        self._close()
        total = time.monotonic() - self.run_start
        rows = sorted(self.totals.items(), key=lambda kv: -kv[1]["seconds"])
        out = {
            "total_s": round(total, 2),
            "tasks": [
                {
                    "task": k,
                    "seconds": round(v["seconds"], 2),
                    "starts": v["starts"],
                    "results": self.results.get(k, {}),
                }
                for k, v in rows
            ],
        }
        folder = os.environ.get("BENCH_TIMER_DIR")
        if folder:
            name = os.environ.get("BENCH_TIMER_NAME", "run")
            with open(os.path.join(folder, f"timer-{name}.json"), "w", encoding="utf-8") as handle:
                json.dump(out, handle, indent=1)
