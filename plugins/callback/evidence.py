# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record change evidence into a hash-chained store (SQLite or PostgreSQL)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: evidence
type: notification
short_description: Record every change, failure, rollback and wave decision as hash-chained evidence
version_added: 1.0.0
description:
  - Records run metadata (user, controller, playbook and its git commit, change ticket and approver, AWX job),
    every task result that carries C(layer) and C(changes) (the everylayer change record), failures, unreachable
    hosts, rollbacks and wave decisions into an append-only store where each record carries the hash of its
    predecessor. Verify it with M(everylayer.patch.evidence_verify); render it with M(everylayer.patch.evidence_report).
  - Each record is committed before the next event is handled, so killing the controller loses at most the event in flight.
  - Fails closed. When a record cannot be written the run stops with C(evidence incomplete) and exit code 16,
    unless O(on_error=warn).
  - Results of C(no_log) tasks are withheld; keys that look like credentials are redacted at any depth.
  - A task marks a wave decision by returning (or setting as a fact, or as C(set_stats) data) a dict named C(everylayer_decision).
  - A change record from a task with C(state=rolled_back), or whose result has C(rolled_back=true), is recorded as a rollback.
  - When the run starts, the run id is exported as E(EVERYLAYER_EVIDENCE_RUN_ID) in the controller's environment, so
    lookups such as P(everylayer.patch.evidence_gate#lookup) can read the current run.
  - Works beside any stdout callback. At the end it prints a one-line receipt (C(EVIDENCE run=... records=... head=...)),
    publishes the same summary as custom stats C(evidence) (which ansible-runner and AWX carry as C(artifact_data)),
    and under ansible-runner writes C(evidence_receipt.json) into the job's artifact directory.
requirements:
  - psycopg 3 (only for a PostgreSQL store)
options:
  store:
    description:
      - Where to write. A file path selects SQLite (created 0600, WAL journal).
      - A C(postgresql://) URL or a libpq C(key=value) DSN with C(dbname) selects PostgreSQL.
    type: str
    default: ~/.local/share/everylayer/evidence.sqlite
    env:
      - name: EVERYLAYER_EVIDENCE_STORE
    ini:
      - section: everylayer_evidence
        key: store
  on_error:
    description:
      - C(fail) ends the run with an C(evidence incomplete) error when a record cannot be written.
      - C(warn) warns, keeps running and marks the receipt incomplete.
    type: str
    choices: [fail, warn]
    default: fail
    env:
      - name: EVERYLAYER_EVIDENCE_ON_ERROR
    ini:
      - section: everylayer_evidence
        key: on_error
  retention_days:
    description:
      - Prune records older than this many days when a run starts (C(0) keeps everything).
      - Pruning removes a prefix of the chain and leaves an anchor plus a C(prune) record, so verification still passes.
    type: int
    default: 0
    env:
      - name: EVERYLAYER_EVIDENCE_RETENTION_DAYS
    ini:
      - section: everylayer_evidence
        key: retention_days
  synchronous:
    description:
      - How far each record is pushed before the run goes on. Both values commit every record before the next
        event is handled, so killing the controller, even with SIGKILL, loses at most the event in flight.
      - C(normal) does not wait for the disk flush (SQLite C(synchronous=NORMAL) in WAL mode, PostgreSQL
        C(synchronous_commit=off) for this session). A power loss of the controller (SQLite) or a crash of the
        database server (PostgreSQL) may lose the last records of a fraction of a second; the chain stays valid
        and C(evidence_verify) with the receipt's head reports them missing.
      - C(full) waits for the flush of every record (SQLite C(synchronous=FULL), PostgreSQL C(synchronous_commit=on)),
        at a cost of one disk flush per record (milliseconds each on a busy disk).
    type: str
    choices: [normal, full]
    default: normal
    env:
      - name: EVERYLAYER_EVIDENCE_SYNCHRONOUS
    ini:
      - section: everylayer_evidence
        key: synchronous
  ticket_vars:
    description: Extra vars that name the change ticket, first non-empty wins.
    type: list
    elements: str
    default: [change_id, change_ticket]
    env:
      - name: EVERYLAYER_EVIDENCE_TICKET_VARS
    ini:
      - section: everylayer_evidence
        key: ticket_vars
  approver_vars:
    description: Extra vars that name the approver, first non-empty wins.
    type: list
    elements: str
    default: [change_approver, approver]
    env:
      - name: EVERYLAYER_EVIDENCE_APPROVER_VARS
    ini:
      - section: everylayer_evidence
        key: approver_vars
"""

import inspect
import os
import time

from ansible import context
from ansible.executor.stats import AggregateStats
from ansible.plugins.callback import CallbackBase
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.metadata import run_metadata
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.recorder import EvidenceIncomplete, Recorder

EXIT_EVIDENCE_INCOMPLETE = 16  # not one of ansible-playbook's own codes (0-8, combinations of 1, 2, 4, 8; 99; 250)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "everylayer.patch.evidence"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self.recorder = None
        self._playbook = None
        self._stats = None
        self._started = False

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        self.recorder = Recorder(
            target=self.get_option("store"),
            fail_closed=self.get_option("on_error") != "warn",
            retention_days=self.get_option("retention_days"),
            synchronous=self.get_option("synchronous"),
        )

    # --- hooks: hand plain values to the recorder -------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        self._playbook = getattr(playbook, "_file_name", None)
        self._stats = _find_stats()

    def v2_playbook_on_play_start(self, play):
        if self._started:
            return
        self._started = True
        extra_vars = play.get_variable_manager().extra_vars if play.get_variable_manager() else {}
        options = self.get_option
        meta = run_metadata(
            self._playbook,
            extra_vars,
            options("ticket_vars"),
            options("approver_vars"),
            check_mode=context.CLIARGS.get("check", False),
        )
        self._guarded(self.recorder.start, meta)
        # Workers fork from this process: the run id reaches lookups (everylayer.patch.evidence_gate) this way.
        os.environ["EVERYLAYER_EVIDENCE_RUN_ID"] = self.recorder.run_id

    def v2_runner_on_ok(self, result):
        self._task_result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._task_result(result, "failed", ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._task_result(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        if not self._started:
            return
        self._display.display(self.recorder.receipt_line())
        artifacts = os.environ.get("AWX_ISOLATED_DATA_DIR")
        if artifacts and os.path.isdir(artifacts):
            self.recorder.write_artifact(artifacts)
        self.recorder.close()

    # --- plumbing -------------------------------------------------------------------------------------------------
    def _task_result(self, result, status, ignore_errors=False):
        if not self._started:
            return
        task = result.task
        data = dict(result.result)
        if ignore_errors:
            data["_ignore_errors"] = True
        no_log = bool(task.no_log) or bool(data.get("_ansible_no_log"))
        self._guarded(
            self.recorder.task_result,
            result.host.get_name(),
            task.get_name(),
            task.action,
            data,
            status,
            no_log,
            task.args,
        )

    def _guarded(self, call, *args):
        lost = self.recorder.lost
        started = time.perf_counter()
        try:
            call(*args)
        except EvidenceIncomplete as exc:
            self._display.error(f"{exc}. The run is stopped because its changes could not be recorded (on_error=fail).")
            self._display.display(self.recorder.receipt_line(), stderr=True)
            # Ansible turns callback exceptions into warnings; SystemExit is not an Exception, so it ends the run.
            raise SystemExit(EXIT_EVIDENCE_INCOMPLETE) from exc
        finally:
            self.recorder.busy_seconds += time.perf_counter() - started
        if self.recorder.lost != lost and self.recorder.errors:
            self._display.warning(f"evidence incomplete (on_error=warn): {self.recorder.errors[-1]}")
        if self._stats is not None:
            self._stats.set_custom_stats("evidence", self.recorder.receipt())


def _find_stats():
    """The run's AggregateStats, so the receipt reaches ansible-runner's playbook_on_stats event as artifact_data.

    The stdout callback (awx_display under runner) reports custom stats before any other callback sees
    v2_playbook_on_stats, so the receipt has to be in the stats object before then.
    """
    frame = inspect.currentframe()
    while frame is not None:
        owner = frame.f_locals.get("self")
        stats = getattr(owner, "_stats", None)
        if isinstance(stats, AggregateStats):
            return stats
        frame = frame.f_back
    return None
