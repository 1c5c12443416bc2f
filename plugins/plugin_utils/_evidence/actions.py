# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the evidence_verify, evidence_report and evidence_preflight action plugins do, without Ansible around it."""

from __future__ import annotations

import os

from . import attest, config, html, report, signing
from .backends import open_store
from .intents import runs_state
from .redact import redact, redact_text
from .store import EvidenceError

STORE_ENV = "EVERYLAYER_EVIDENCE_STORE"


def resolve_store(store):
    """The task's option, else the callback's own setting (EVERYLAYER_EVIDENCE_STORE, ansible.cfg, default)."""
    if store:
        return store
    try:
        return config.callback_setting("store")
    except config.EvidenceConfigError as exc:
        raise EvidenceError(str(exc)) from None


def current_run():
    """The run id of the callback recording this very run (None outside one)."""
    marker = config.read_marker()
    return marker.get("run_id") if marker else None


def verify_store(store=None, expected_head=None, run_id=None, allow_empty=False, keyed=None) -> dict:
    """Verify the chain read-only, then the write-ahead rules: every run ended, every intent has its outcome.

    ``keyed`` (optional): ``signer``, ``require_signature``, ``receipts`` for the run signatures and the published
    receipts (attest.check).
    """
    keyed = keyed or {}
    with open_store(resolve_store(store), readonly=True) as db:
        verification = db.verify(expected_head=expected_head, run_id=run_id)
        runs = runs_state(db.records(), current_run())
        run_found = run_id is None or next(iter(db.records(run_id=run_id)), None) is not None
        backend = db.backend
        signed = attest.check(
            db,
            verification,
            keyed.get("signer"),
            keyed.get("require_signature", False),
            run_id,
            keyed.get("receipts", ()),
            current_run(),
        )
    strict_checks(verification, runs, run_id, run_found, allow_empty)
    result = dict(verification.as_dict(), backend=backend, **signed)
    result["verified"] = result["ok"]
    result["interrupted_runs"], result["unknown_hosts"] = interrupted(runs)
    return result


def keyed_options(signing_key_file=None, signing_key=None, require_signature=False, receipt_log=None, receipt=None):
    """The verifying key and the published receipts: task options first, then the callback's own settings."""
    try:
        key_file = signing_key_file or (None if signing_key else config.callback_setting("signing_key_file"))
        log = receipt_log or config.callback_setting("receipt_log")
    except config.EvidenceConfigError as exc:
        raise EvidenceError(str(exc)) from None
    if not receipt_log and log and not os.path.exists(os.path.expanduser(log)):
        log = None  # the callback's log before any run has ended; a log named in the task must exist
    try:
        signer = signing.key_from(path=key_file, value=signing_key)
        receipts = attest.receipts_from(log, receipt)
    except signing.SigningError as exc:
        raise EvidenceError(str(exc)) from None
    return {"signer": signer, "require_signature": require_signature, "receipts": receipts}


def strict_checks(verification, runs, run_id=None, run_found=True, allow_empty=False):
    """Add to ``verification`` (chain.VerifyResult) what a chain alone cannot show; ``runs`` from runs_state."""
    if not verification.records and not allow_empty:
        verification.problem("empty", 0, "the evidence store has no records (allow_empty: true accepts that)")
    if not run_found:
        verification.problem("missing_run", 0, f"run {run_id} has no records in the evidence store")
    for state in runs.values():
        unknown = [item for item in state["open"] if not item["reconciled_by"]]
        hosts = ", ".join(sorted({item["host"] for item in unknown})) or "none"
        if not state["ended"] and not state["settled"]:
            msg = (
                f"run {state['run_id']} (started {state['started']}) has no run_end record: it was interrupted; "
                f"hosts in an unknown state: {hosts}"
            )
            verification.problem("interrupted", state["first_seq"], msg)
        for item in unknown:
            msg = (
                f"host {item['host']}: task {item['task']!r} of run {state['run_id']} was started (record "
                f"{item['seq']}) and never reported an outcome: its state is unknown until a scan reconciles it"
            )
            verification.problem("unknown", item["seq"], msg)


def interrupted(runs):
    """(runs without their end, every intent without outcome) for the verify result and the report."""
    stopped = [{k: state[k] for k in ("run_id", "started", "settled")} for state in runs.values() if not state["ended"]]
    unknown = [dict(item, run_id=state["run_id"]) for state in runs.values() for item in state["open"]]
    return stopped, unknown


def write_report(dest, formats, store=None, run_id=None, since=None, until=None, title=None, overview=None) -> dict:
    """Verify the whole chain, build the report for the selected records, write one file per format.

    ``overview`` (optional): a function of the store's whole history returning the compliance overview
    (report_compliance.overview); with it the CSV format also writes ``...-compliance.csv``."""
    with open_store(resolve_store(store), readonly=True) as db:
        verification = db.verify()
        runs = runs_state(db.records(), current_run())
        records = list(db.records(run_id=run_id, since=since, until=until))
        history = list(db.records()) if overview else None
    strict_checks(verification, runs, allow_empty=True)
    verification = verification.as_dict()
    stopped, unknown = interrupted(runs)
    data = report.build(
        records,
        verification={k: verification[k] for k in ("ok", "summary", "records", "head", "problems")},
        compliance=overview(history) if overview else None,
    )
    data["interrupted_runs"] = [run for run in stopped if run_id is None or run["run_id"] == run_id]
    data["unknown_hosts"] = [item for item in unknown if run_id is None or item["run_id"] == run_id]
    data["totals"]["interrupted_runs"] = len(data["interrupted_runs"])
    data["totals"]["unknown_hosts"] = len({item["host"] for item in data["unknown_hosts"] if not item["reconciled_by"]})
    data = redact(data)  # records written before by-value redaction existed: no URL credential reaches a report
    dest = os.path.abspath(os.path.expanduser(dest))
    os.makedirs(dest, mode=0o700, exist_ok=True)
    stem = "evidence-report" + (f"-{run_id}" if run_id else "")
    renderers = {
        "json": report.to_json,
        "csv": report.to_csv,
        "html": lambda d: html.render(d, title or "everylayer.patch change evidence"),
    }
    paths = {}
    for fmt in formats:
        path = os.path.join(dest, f"{stem}.{fmt}")
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(renderers[fmt](data))
        os.replace(path + ".tmp", path)
        paths[fmt] = path
    if "csv" in formats and "compliance" in data:
        path = os.path.join(dest, f"{stem}-compliance.csv")
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(report.to_compliance_csv(data))
        os.replace(path + ".tmp", path)
        paths["compliance_csv"] = path
    return {
        "paths": paths,
        "totals": data["totals"],
        "verification": data["verification"],
        "records": len(records),
        "interrupted_runs": data["interrupted_runs"],
        "unknown_hosts": data["unknown_hosts"],
        **({"compliance": _compliance_result(data["compliance"])} if "compliance" in data else {}),
    }


def _compliance_result(overview):
    """What the task returns of the overview: the summary, SLA attainment and deployment success (the files
    hold the rest)."""
    rem, dep = overview["remediation"], overview["deployments"]
    return dict(
        overview["summary"],
        as_of=overview["as_of"],
        sla_attainment=rem["sla_attainment"],
        deployment_success_rate=dep["success_rate"],
        sources=overview.get("sources"),
    )


def preflight(store=None, required=True) -> dict:
    """Is this run's evidence being recorded, into the store every reader will open? The cause when not."""
    marker = config.read_marker()
    target = resolve_store(store)
    shown = redact_text(str(target))
    base = {"store": shown, "run_id": marker.get("run_id") if marker else None, "recording": False}
    if marker is None:
        return dict(
            base,
            cause="the everylayer.patch.evidence callback is not recording this run: it is not enabled "
            "(callbacks_enabled in ansible.cfg or ANSIBLE_CALLBACKS_ENABLED must list everylayer.patch.evidence) "
            "or it failed to load (see the warnings at the start of the run)",
        )
    if not marker.get("recording"):
        return dict(base, cause=f"the evidence callback cannot write its store: {marker.get('cause')}")
    if marker.get("store") != config.fingerprint(target):
        return dict(
            base,
            cause=f"the evidence callback writes another store than {shown} (set the store in one place: "
            "EVERYLAYER_EVIDENCE_STORE or [everylayer_evidence] store in ansible.cfg, or the same store option)",
        )
    try:
        with open_store(target, readonly=True) as db:
            started = next((rec for rec in db.records(run_id=marker["run_id"]) if rec.kind == "run_start"), None)
            backend = db.backend
            path = getattr(db, "path", None)
    except EvidenceError as exc:
        return dict(base, cause=redact_text(str(exc)))
    if started is None:
        return dict(base, cause=f"the store {shown} has no run_start record of run {marker['run_id']}")
    if path and not os.access(path, os.W_OK):
        return dict(base, cause=f"the SQLite evidence store {path} is not writable by this user")
    return dict(base, recording=True, backend=backend, cause=None)
