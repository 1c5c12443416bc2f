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

from .backends import open_store
from .config import PATCH_MODULES
from .intents import FORMAT, reconcile_entry
from .redact import CENSORED, redact, redact_rollback
from .signing import append_receipt, content_hash, sign_receipt, sign_run
from .store import EvidenceError

DECISION_KEY = "everylayer_decision"
ROLLBACK_STATES = ("rolled_back", "rollback")
_MSG_LIMIT = 2000


class EvidenceIncomplete(Exception):
    """A record could not be committed: the run's evidence has a hole."""


class Recorder:
    def __init__(
        self,
        target=None,
        fail_closed=True,
        retention_days=0,
        synchronous="normal",
        run_id=None,
        store=None,
        signer=None,
        receipt_log=None,
    ):
        self.target = target
        self.fail_closed = fail_closed
        self.retention_days = int(retention_days or 0)
        self.synchronous = synchronous
        self.run_id = run_id or str(uuid.uuid4())
        self.store = store
        self.written = 0
        self.lost = 0
        self.head = None
        self.head_seq = None
        self.signer = signer  # signing.Signer: run_end carries a signature over the run's records (docs/evidence.md)
        self.receipt_log = receipt_log  # append-only file outside the store that gets the signed receipt
        self.digest = None
        self._written = []  # (seq, content hash) of every record this run appended, for the run's signature
        self.errors = []
        self.busy_seconds = 0.0  # time the callback spent recording, reported in the receipt
        self._open = {}  # (host, task_uuid) -> loop items recorded so far, for intents awaiting their outcome

    # --- events ---------------------------------------------------------------------------------------------
    def start(self, metadata: dict):
        if self.store is None:
            self.store = self._guard(lambda: open_store(self.target, synchronous=self.synchronous))
        if self.store is not None and self.retention_days > 0:
            self._guard(lambda: self.store.prune(self.retention_days, run_id=self.run_id))
        self._append("run_start", None, dict(redact(metadata), evidence_format=FORMAT))

    def intent(self, host, task, action, task_uuid, loop=False, state=None, check_mode=False):
        """Written before the task reaches the host: without its outcome later, the host's state is unknown."""
        self._open[(host, task_uuid)] = 0
        data = {"task": task, "action": action, "task_uuid": task_uuid, "loop": bool(loop), "check_mode": check_mode}
        if isinstance(state, str) and "{" not in state:
            data["state"] = state
        return self._append("intent", host, redact(data))

    def item_result(self, host, task, action, item, status, task_args=None, task_uuid=None, secrets=()):
        """One loop item of an intent task, recorded as it finishes (the task's own outcome comes at its end)."""
        key = (host, task_uuid)
        if key not in self._open or not isinstance(item, dict) or item.get("_ansible_no_log"):
            return None
        self._open[key] += 1
        if "layer" in item and "changes" in item:
            return self._change(host, task, action, item, status, task_args or {}, task_uuid, secrets, self._open[key])
        return None

    def task_result(self, host, task, action, result, status, no_log=False, task_args=None, task_uuid=None, secrets=()):
        """``status`` is ok, failed (with ignore_errors noted in the result), unreachable or skipped."""
        result = result or {}
        opened = (host, task_uuid) in self._open
        items_done = self._open.pop((host, task_uuid), 0)
        uuid = task_uuid if opened else None
        answered = self._task_records(
            host, task, action, result, status, no_log, task_args or {}, uuid, secrets, items_done
        )
        # an intent is answered by a record carrying its task_uuid (a change, a failure...), not by a decision alone
        if opened and (not answered or items_done):
            data = {"task": task, "action": action, "task_uuid": uuid, "status": status}
            data["changed"] = bool(result.get("changed"))
            self._append("outcome", host, data)

    def run_end(self, host_stats=None):
        """The run's last record: without it, verify and the report name the run as interrupted."""
        data = {"hosts": redact(host_stats or {}), "records": self.written + 1, "lost": self.lost}
        if self._open:
            data["open_intents"] = sorted(f"{host} {uuid}" for host, uuid in self._open)
        if self.signer is not None:
            data["signature"] = sign_run(self.signer, self.run_id, self._written)
            self.digest = data["signature"]["digest"]
        return self._append("run_end", None, data)

    def _task_records(self, host, task, action, result, status, no_log, task_args, uuid, secrets, items_done):
        """Append the task's records; returns whether they answer the task's intent, so that no ``outcome`` record
        is needed: a change, rollback, failure or withheld record carries its task_uuid and closes it
        (intents.CLOSING_KINDS); an unreachable record leaves it open on purpose (the host's state is unknown)."""
        tag = {"task_uuid": uuid} if uuid else {}
        if status == "skipped":
            return False
        if status == "unreachable":
            msg = result.get("msg") if not no_log else CENSORED
            data = {"task": task, "action": action, "msg": _short(msg), **tag}
            self._append("unreachable", host, redact(data, secrets=secrets))
            return True
        if no_log:
            if result.get("changed") or status == "failed":
                data = {
                    "task": task,
                    "action": action,
                    "censored": CENSORED,
                    "changed": bool(result.get("changed")),
                    "failed": status == "failed",
                    **tag,
                }
                self._append("withheld", host, data)
                return True
            return False
        items = result.get("results") if isinstance(result.get("results"), list) else None
        recorded = answered = bool(items_done)
        for item in [] if items_done else items or [result]:
            if isinstance(item, dict) and "layer" in item and "changes" in item:
                self._change(host, task, action, item, status, task_args, uuid, secrets)
                recorded = answered = True
        decision = _decision(result)
        if decision is not None:
            data = {"task": task, "decision": redact(decision, secrets=secrets)}
            self._append("decision", host, data)
            recorded = True
        if status == "failed" and not recorded:
            data = {"task": task, "action": action, "ignored": bool(result.get("_ignore_errors")), **tag}
            data["msg"] = _short(result.get("msg") or result.get("stderr") or "")
            self._append("failure", host, redact(data, secrets=secrets))
            answered = True
        return answered

    # --- helpers --------------------------------------------------------------------------------------------
    def _change(self, host, task, action, item, status, task_args, uuid=None, secrets=(), index=None):
        state = str(task_args.get("state") or item.get("state") or "")
        if not state and action in PATCH_MODULES:
            state = "scanned"  # the patch modules' default state
        kind = "rollback" if state in ROLLBACK_STATES or item.get("rolled_back") is True else "change"
        data = {
            "task": task,
            "action": action,
            "failed": status == "failed" or bool(item.get("failed")),
            "changed": bool(item.get("changed")),
        }
        if uuid:
            data["task_uuid"] = uuid
        if index is not None:
            data["item"] = index
        # precheck / postcheck: the checks a patch module ran in the same call (everylayer.patch.packages)
        for key in ("layer", "changes", "pending", "reboot_required", "rollback", "msg", "precheck", "postcheck"):
            if key in item:
                data[key] = redact(item[key], secrets=secrets)
        if isinstance(item.get("rollback"), dict):
            data["rollback"] = redact_rollback(item["rollback"], secrets)  # keyed by package names: never by key
        data["msg"] = _short(data.get("msg"))
        # check mode: `changes` is a forecast (docs/change-record.md), never to be counted as applied
        data["simulated"] = bool(item.get("simulated", False))
        if state == "scanned":
            data["scan"] = True  # a scan changes nothing: the gate does not count it as a patch
        rec = self._append(kind, host, data)
        if state == "scanned" and not data["simulated"] and not data["failed"] and self.store is not None:
            self._reconcile(host, task, data.get("pending"))
        return rec

    def _reconcile(self, host, task, pending):
        """A scan of a host whose earlier intent has no outcome: record what the host looks like now."""
        records = self._guard(lambda: list(self.store.records(host=host)))
        entry = reconcile_entry(records or [], host, pending) if records else None
        if entry is not None:
            self._append("reconcile", host, dict(entry, task=task))

    def _append(self, kind, host, data):
        if self.store is None:
            self.lost += 1
            return None
        rec = self._guard(lambda: self.store.append(self.run_id, self.written + 1, kind, host, data))
        if rec is None:
            self.lost += 1
            return None
        self.written += 1
        self.head, self.head_seq = rec.hash, rec.seq
        self._written.append((rec.seq, content_hash(rec)))
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
            "head_seq": self.head_seq,
            "store": getattr(self.store, "backend", None),
            "complete": self.lost == 0 and not self.errors,
            "callback_seconds": round(self.busy_seconds, 3),
        }
        if self.lost:
            data["lost"] = self.lost
        if host_stats:
            data["hosts"] = host_stats
        if self.signer is not None and self.head:
            data["digest"] = self.digest
            data = sign_receipt(self.signer, data)
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

    def publish_receipt(self):
        """Append the signed receipt to the receipt log (outside the store); the path, or None without a log."""
        if not self.receipt_log or not self.head:
            return None
        try:
            return append_receipt(self.receipt_log, self.receipt())
        except OSError as exc:
            self.errors.append(f"the receipt log {self.receipt_log} cannot be written: {exc.strerror}")
            if self.fail_closed:
                raise EvidenceIncomplete(f"evidence incomplete: {self.errors[-1]}") from exc
            return None

    def close(self):
        if self.store is not None:
            self.store.close()


def _decision(result):
    """A decision is what a task explicitly returns: an action's result key (everylayer.patch.rollout_gate,
    rollout_decision, rollout_host_plan) or ``set_stats`` data; a fact of that name is only a fact."""
    if isinstance(result.get(DECISION_KEY), dict):
        return result[DECISION_KEY]
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
