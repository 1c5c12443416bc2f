# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turns playbook events into evidence records: the I/O half of the ``evidence`` callback.

The callback hands over plain values (host name, task name and action, the result dict); this class
decides what is evidence, redacts it, appends it to the store and keeps the run's receipt.
"""

from __future__ import annotations

import json
import os
import uuid

from .redact import CENSORED, redact
from .store import EvidenceError, open_store

DECISION_KEY = "everylayer_decision"
ROLLBACK_STATES = ("rolled_back", "rollback")
_MSG_LIMIT = 2000


class EvidenceIncomplete(Exception):
    """A record could not be committed: the run's evidence has a hole."""


class Recorder:
    def __init__(self, target=None, fail_closed=True, retention_days=0, synchronous="normal", run_id=None, store=None):
        self.target = target
        self.fail_closed = fail_closed
        self.retention_days = int(retention_days or 0)
        self.synchronous = synchronous
        self.run_id = run_id or str(uuid.uuid4())
        self.store = store
        self.written = 0
        self.lost = 0
        self.head = None
        self.errors = []
        self.busy_seconds = 0.0  # time the callback spent recording, reported in the receipt

    # --- events ---------------------------------------------------------------------------------------------
    def start(self, metadata: dict):
        if self.store is None:
            self.store = self._guard(lambda: open_store(self.target, synchronous=self.synchronous))
        if self.store is not None and self.retention_days > 0:
            self._guard(lambda: self.store.prune(self.retention_days, run_id=self.run_id))
        self._append("run_start", None, redact(metadata))

    def task_result(self, host, task, action, result, status, no_log=False, task_args=None):
        """``status`` is ok, failed (with ignore_errors noted in the result) or unreachable."""
        result = result or {}
        if status == "unreachable":
            msg = result.get("msg") if not no_log else CENSORED
            return self._append("unreachable", host, {"task": task, "action": action, "msg": _short(msg)})
        if no_log:
            if result.get("changed") or status == "failed":
                data = {
                    "task": task,
                    "action": action,
                    "censored": CENSORED,
                    "changed": bool(result.get("changed")),
                    "failed": status == "failed",
                }
                self._append("withheld", host, data)
            return None
        items = result.get("results") if isinstance(result.get("results"), list) else None
        recorded = False
        for item in items or [result]:
            if isinstance(item, dict) and "layer" in item and "changes" in item:
                self._change(host, task, action, item, status, task_args or {})
                recorded = True
        decision = _decision(result)
        if decision is not None:
            data = {"task": task, "decision": redact(decision)}
            self._append("decision", host, data)
            recorded = True
        if status == "failed" and not recorded:
            data = {"task": task, "action": action, "ignored": bool(result.get("_ignore_errors"))}
            data["msg"] = _short(result.get("msg") or result.get("stderr") or "")
            self._append("failure", host, data)

    # --- helpers --------------------------------------------------------------------------------------------
    def _change(self, host, task, action, item, status, task_args):
        state = str(task_args.get("state") or item.get("state") or "")
        kind = "rollback" if state in ROLLBACK_STATES or item.get("rolled_back") is True else "change"
        data = {
            "task": task,
            "action": action,
            "failed": status == "failed" or bool(item.get("failed")),
            "changed": bool(item.get("changed")),
        }
        # precheck / postcheck: the checks a patch module ran in the same call (everylayer.patch.packages)
        for key in ("layer", "changes", "pending", "reboot_required", "rollback", "msg", "precheck", "postcheck"):
            if key in item:
                data[key] = redact(item[key])
        data["msg"] = _short(data.get("msg"))
        # check mode: `changes` is a forecast (docs/change-record.md), never to be counted as applied
        data["simulated"] = bool(item.get("simulated", False))
        self._append(kind, host, data)

    def _append(self, kind, host, data):
        if self.store is None:
            self.lost += 1
            return None
        rec = self._guard(lambda: self.store.append(self.run_id, self.written + 1, kind, host, data))
        if rec is None:
            self.lost += 1
            return None
        self.written += 1
        self.head = rec.hash
        return rec

    def _guard(self, action):
        try:
            return action()
        except EvidenceError as exc:
            self.errors.append(str(exc))
            if self.fail_closed:
                raise EvidenceIncomplete(f"evidence incomplete: {exc}") from exc
            return None

    def receipt(self, host_stats=None) -> dict:
        data = {
            "run_id": self.run_id,
            "records": self.written,
            "head": self.head,
            "store": getattr(self.store, "backend", None),
            "complete": self.lost == 0 and not self.errors,
            "callback_seconds": round(self.busy_seconds, 3),
        }
        if self.lost:
            data["lost"] = self.lost
        if host_stats:
            data["hosts"] = host_stats
        return data

    def receipt_line(self) -> str:
        state = "complete" if self.lost == 0 and not self.errors else f"INCOMPLETE ({self.lost} lost)"
        backend = getattr(self.store, "backend", "-")
        head = self.head or "-"
        return f"EVIDENCE run={self.run_id} records={self.written} head={head} store={backend} {state} ({self.busy_seconds:.2f} s recording)"

    def write_artifact(self, directory):
        """Drop the receipt beside ansible-runner's other artifacts (artifacts/<ident>/evidence_receipt.json)."""
        path = os.path.join(directory, "evidence_receipt.json")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(self.receipt(), handle, sort_keys=True)
        return path

    def close(self):
        if self.store is not None:
            self.store.close()


def _decision(result):
    if isinstance(result.get(DECISION_KEY), dict):
        return result[DECISION_KEY]
    facts = result.get("ansible_facts")
    if isinstance(facts, dict) and isinstance(facts.get(DECISION_KEY), dict):
        return facts[DECISION_KEY]
    stats = result.get("ansible_stats")
    if (
        isinstance(stats, dict)
        and isinstance(stats.get("data"), dict)
        and isinstance(stats["data"].get(DECISION_KEY), dict)
    ):
        return stats["data"][DECISION_KEY]
    return None


def _short(text):
    if text is None:
        return None
    text = str(text)
    return text if len(text) <= _MSG_LIMIT else text[:_MSG_LIMIT] + "...(truncated)"
