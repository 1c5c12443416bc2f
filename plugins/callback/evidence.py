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
  - Results of C(no_log) tasks are withheld; keys that look like credentials are redacted at any depth, and secrets
    by value wherever they appear - URL and DSN credentials, the values of C(no_log) options and of credential-like
    keys (docs/evidence.md).
  - A task marks a wave decision by returning (an action's result, as the rollout's M(everylayer.patch.rollout_gate)
    and M(everylayer.patch.rollout_decision) do) or passing as C(set_stats) data a dict named C(everylayer_decision);
    a fact of that name is not recorded.
  - A change record from a task with C(state=rolled_back), or whose result has C(rolled_back=true), is recorded as a rollback.
  - The run id is the extra var C(everylayer_run_id) when given (1-128 letters, digits, C(.), C(_), C(:), C(-)), so a
    rollout, its manifest and its decisions share one id; otherwise a new UUID. When the run starts it is exported as
    E(EVERYLAYER_EVIDENCE_RUN_ID) in the controller's environment, so lookups such as
    P(everylayer.patch.evidence_gate#lookup) read the current run, and M(everylayer.patch.evidence_preflight) returns it.
  - Write-ahead. Before a patch task (O(intent_actions)) reaches a host an C(intent) record is committed; the task's
    outcome closes it (each loop item is recorded as it finishes). The last record of a run is C(run_end). A host whose
    intent has no outcome is C(unknown) to the gate, verify and the report; a run without C(run_end) was interrupted.
  - Every option is validated when the plugin loads. A bad value (a typo in O(on_error), a O(retention_days) that is
    not a number) ends ansible-playbook at once with exit code 16 and an error naming the option and where it was
    set, instead of ansible-core's warning and a run with no evidence.
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
      - Prune records older than this many days when a run starts (C(0) keeps everything; at most 36500).
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
  intent_actions:
    description:
      - The actions that get an C(intent) record before they reach a host (their C(state=scanned) calls do not).
      - M(everylayer.patch.rollout_host_plan) gets one when it is given O(everylayer.patch.rollout_host_plan#module:os_patch)
        (the rollout's plan task, which patches an OS host in the same task); on a host it only plans (a device,
        a deferred host) its outcome closes it without a change.
    type: list
    elements: str
    default:
      - everylayer.patch.packages
      - everylayer.patch.firmware
      - everylayer.patch.network_image
      - everylayer.patch.rollout_host_plan
    env:
      - name: EVERYLAYER_EVIDENCE_INTENT_ACTIONS
    ini:
      - section: everylayer_evidence
        key: intent_actions
  signing_key_file:
    description:
      - A key file that signs each run (docs/evidence.md, "Signed runs and receipts"). A PEM Ed25519 private key
        signs with Ed25519 (through the C(cryptography) library); any other content of at least 16 bytes is an
        HMAC-SHA256 secret. The file must not be readable by group or others.
      - Instead of a file, the key itself can come from the environment variable E(EVERYLAYER_EVIDENCE_SIGNING_KEY)
        (what the collection's AWX credential type injects); the file wins when both are set.
      - The C(run_end) record then carries a signature over every record of the run, and the receipt is signed.
        The key never reaches the store, the receipt or a log - only its C(key_id), a digest of it.
    type: path
    env:
      - name: EVERYLAYER_EVIDENCE_SIGNING_KEY_FILE
    ini:
      - section: everylayer_evidence
        key: signing_key_file
  receipt_log:
    description:
      - An append-only file (created 0600) outside the store that gets one JSON line per run, the (signed) receipt
        with the run id, the head hash and seq and the run's signed digest.
        M(everylayer.patch.evidence_verify) with O(everylayer.patch.evidence_verify#module:receipt_log) checks the
        store against it, which catches a rewrite of the store even when the records were re-hashed.
    type: path
    env:
      - name: EVERYLAYER_EVIDENCE_RECEIPT_LOG
    ini:
      - section: everylayer_evidence
        key: receipt_log
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
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import config, signing
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.metadata import run_metadata
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.recorder import EvidenceIncomplete, Recorder
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.redact import (
    no_log_values,
    ordered,
    redact_text,
    secret_values,
)

EXIT_EVIDENCE_INCOMPLETE = 16  # not one of ansible-playbook's own codes (0-8, combinations of 1, 2, 4, 8; 99; 250)
_STAT_KEYS = ("ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored")


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
        self._intent_actions = frozenset(config.DEFAULT_INTENT_ACTIONS)

    def set_options(self, task_keys=None, var_options=None, direct=None):
        # ansible-core skips, with a mere warning, a callback whose set_options raises an Exception: the run would
        # go on with no evidence. A bad option ends the run here instead (SystemExit is not an Exception).
        try:
            super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
            values = config.validate(self.get_option)
        except config.EvidenceConfigError as exc:
            self._refuse(str(exc))
        except Exception as exc:  # ansible-core's own type/choice errors, before our checks
            self._refuse(config.first_bad_option(exc))
        self._intent_actions = frozenset(values["intent_actions"])
        try:
            signer = signing.key_from(path=values["signing_key_file"])
        except signing.SigningError as exc:
            self._refuse(f"everylayer.patch.evidence: option 'signing_key_file': {exc}")
        if signer is not None and not signer.can_sign:
            self._refuse("everylayer.patch.evidence: the signing key is an Ed25519 public key, which cannot sign")
        self.recorder = Recorder(
            signer=signer,
            receipt_log=values["receipt_log"],
            target=values["store"],
            fail_closed=values["on_error"] != "warn",
            retention_days=values["retention_days"],
            synchronous=values["synchronous"],
        )

    def _refuse(self, message):
        self._display.error(
            f"{message}. The run is stopped before any task: evidence is required and would not be recorded."
        )
        raise SystemExit(EXIT_EVIDENCE_INCOMPLETE)

    # --- hooks: hand plain values to the recorder -------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        self._playbook = getattr(playbook, "_file_name", None)
        self._stats = _find_stats()
        _run_first(self)

    def v2_playbook_on_play_start(self, play):
        if self._started:
            return
        self._started = True
        extra_vars = play.get_variable_manager().extra_vars if play.get_variable_manager() else {}
        if extra_vars.get(config.RUN_ID_VAR) not in (None, ""):
            try:
                self.recorder.run_id = config.check_run_id(extra_vars[config.RUN_ID_VAR])
            except config.EvidenceConfigError as exc:
                self._refuse(str(exc))
        options = self.get_option
        meta = run_metadata(
            self._playbook,
            extra_vars,
            options("ticket_vars"),
            options("approver_vars"),
            check_mode=context.CLIARGS.get("check", False),
        )
        self._guarded(self.recorder.start, meta)
        # Workers fork from this process: the run id reaches lookups (everylayer.patch.evidence_gate) this way,
        # and the marker tells everylayer.patch.evidence_preflight that this run's callback is recording.
        os.environ[config.RUN_ID_ENV] = self.recorder.run_id
        recording = self.recorder.store is not None and not self.recorder.errors
        cause = None if recording else redact_text(self.recorder.errors[-1] if self.recorder.errors else "no store")
        os.environ[config.ACTIVE_ENV] = config.active_marker(
            self.recorder.run_id, self.recorder.target, recording, cause, getattr(self.recorder.store, "backend", None)
        )

    def v2_runner_on_start(self, host, task):
        if not self._started or not self._wants_intent(task):
            return
        state = task.args.get("state") if isinstance(task.args, dict) else None
        self._guarded(
            self.recorder.intent,
            host.get_name(),
            task.get_name(),
            _action(task),
            getattr(task, "_uuid", None),
            bool(getattr(task, "loop", None) or getattr(task, "loop_with", None)),
            state,
            _check_mode(task),
        )

    def v2_runner_on_ok(self, result):
        self._task_result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._task_result(result, "failed", ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._task_result(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._task_result(result, "skipped")

    def v2_runner_item_on_ok(self, result):
        self._item_result(result, "ok")

    def v2_runner_item_on_failed(self, result):
        self._item_result(result, "failed")

    def v2_playbook_on_stats(self, stats):
        if not self._started:
            return
        hosts = {
            host: {key: stats.summarize(host).get(key, 0) for key in _STAT_KEYS} for host in sorted(stats.processed)
        }
        self._guarded(self.recorder.run_end, hosts)
        self._guarded(self.recorder.publish_receipt)
        self._display.display(self.recorder.receipt_line())
        artifacts = os.environ.get("AWX_ISOLATED_DATA_DIR")
        if artifacts and os.path.isdir(artifacts):
            self.recorder.write_artifact(artifacts)
        self.recorder.close()

    # --- plumbing -------------------------------------------------------------------------------------------------
    def _wants_intent(self, task) -> bool:
        action = _action(task)
        if action not in self._intent_actions or _check_mode(task):
            return False
        args = task.args if isinstance(task.args, dict) else {}
        if action == config.ROLLOUT_PATCH_ACTION:
            return "os_patch" in args  # the plan task patches an OS host itself (any host's plan may)
        state = args.get("state")
        # The patch modules' default state is scanned, which changes nothing.
        return not (state == "scanned" or (state is None and action in config.PATCH_MODULES))

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
            _action(task),
            data,
            status,
            no_log,
            task.args,
            getattr(task, "_uuid", None),
            () if no_log else _secrets(result, data),
        )

    def _item_result(self, result, status):
        if not self._started or bool(result.task.no_log):
            return
        task = result.task
        data = dict(result.result)
        self._guarded(
            self.recorder.item_result,
            result.host.get_name(),
            task.get_name(),
            _action(task),
            data,
            status,
            task.args,
            getattr(task, "_uuid", None),
            _secrets(result, data),
        )

    def _guarded(self, call, *args):
        lost = self.recorder.lost
        started = time.perf_counter()
        try:
            call(*args)
        except EvidenceIncomplete as exc:
            self._display.error(
                f"{redact_text(str(exc))}. The run is stopped because its changes could not be recorded (on_error=fail)."
            )
            self._display.display(self.recorder.receipt_line(), stderr=True)
            # Ansible turns callback exceptions into warnings; SystemExit is not an Exception, so it ends the run.
            raise SystemExit(EXIT_EVIDENCE_INCOMPLETE) from exc
        finally:
            self.recorder.busy_seconds += time.perf_counter() - started
        if self.recorder.lost != lost and self.recorder.errors:
            self._display.warning(f"evidence incomplete (on_error=warn): {redact_text(self.recorder.errors[-1])}")
        if self._stats is not None:
            self._stats.set_custom_stats("evidence", self.recorder.receipt())


def _action(task) -> str:
    return getattr(task, "resolved_action", None) or task.action


def _check_mode(task) -> bool:
    explicit = getattr(task, "check_mode", None)
    return bool(explicit) if isinstance(explicit, bool) else bool(context.CLIARGS.get("check", False))


def _secrets(result, data) -> tuple:
    """The secret values of this result: credential-like keys and URL passwords in it, no_log option values."""
    fields = getattr(result, "task_fields", None) or {}
    args = fields.get("args") if isinstance(fields, dict) else None
    args = args if isinstance(args, dict) else (result.task.args if isinstance(result.task.args, dict) else {})
    found = secret_values(data, keys=False)  # URL and DSN passwords in the result
    secret_values(args, found)  # values of credential-like options, URL passwords in arguments
    found |= no_log_values(data, args)
    return ordered(found)


def _run_first(plugin):
    """Be called before the stdout callback, so run_end is in the receipt that the stdout callback publishes.

    ansible-core calls the stdout callback first for every event; under ansible-runner its handler of
    v2_playbook_on_stats sends the custom stats (the receipt) as artifact_data. Written after that, the run_end
    record would be past the head AWX keeps. Moving this plugin to the front of the TaskQueueManager's list
    while the event is being dispatched only shifts the plugins already called.
    """
    frame = inspect.currentframe()
    while frame is not None:
        plugins = getattr(frame.f_locals.get("self"), "_callback_plugins", None)
        if isinstance(plugins, list) and plugin in plugins:
            plugins.remove(plugin)
            plugins.insert(0, plugin)
            return True
        frame = frame.f_back
    return False


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
