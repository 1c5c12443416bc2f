# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The keyed half of verification: run signatures and published receipts against the store's records."""

from __future__ import annotations

import json

from . import signing


def check(db, verification, signer=None, require_signature=False, run_id=None, receipts=(), current=None) -> dict:
    """Add ``signature``, ``unsigned``, ``receipt`` and ``missing_run`` problems to ``verification`` (chain.VerifyResult).

    ``receipts``: (where, receipt) pairs - a receipt log's lines or a receipt passed to the task.
    ``current``: the run doing the verifying (still in progress, so not signed yet: left out, as verify leaves
    it out of the interrupted runs). Returns what the task reports besides: signed_runs, unsigned_runs,
    receipts_checked, key_id.
    """
    anchor = db.anchor()
    pruned_through = anchor.pruned_through if anchor else 0
    by_seq, by_hash, started, ended = {}, {}, {}, {}
    for rec in db.records(run_id=run_id):
        by_seq[rec.seq] = rec
        by_hash[rec.hash] = rec
        if rec.kind == "run_start":
            started.setdefault(rec.run_id, rec.seq)
        elif rec.kind == "run_end":
            ended.setdefault(rec.run_id, []).append(rec)
    signed, unsigned, covered = [], [], {}
    for rid in sorted(set(started) | set(ended), key=lambda r: started.get(r, 0)):
        ends = ended.get(rid, [])
        if not ends and rid == current:
            continue
        if not ends:
            unsigned.append(rid)
            if require_signature:
                msg = f"run {rid} has no run_end record, so no signature: signing is required (require_signature)"
                verification.problem("unsigned", started[rid], msg)
        for end in ends:
            sig = _signature(end)
            if sig is None:
                unsigned.append(rid)
                if require_signature:
                    msg = f"run {rid} is not signed (record {end.seq}): signing is required (require_signature)"
                    verification.problem("unsigned", end.seq, msg)
                continue
            if signer is None:
                if require_signature:
                    msg = f"run {rid} is signed but no verifying key was given (signing_key_file or {signing.KEY_ENV})"
                    verification.problem("signature", end.seq, msg)
                continue
            why = signing.check_run(signer, rid, sig, by_seq, pruned_through)
            if why:
                verification.problem("signature", end.seq, f"run {rid} (run_end record {end.seq}): {why}")
            else:
                signed.append(rid)
                covered.setdefault(rid, set()).update([end.seq, *signing.expand(sig["seqs"])])
    _uncovered(verification, by_seq, covered, pruned_through)
    checked = 0
    for where, receipt in receipts:
        if run_id is not None and receipt.get("run_id") != run_id:
            continue
        checked += 1
        _check_receipt(verification, signer, require_signature, where, receipt, by_hash, started, ended)
    return {
        "signed_runs": signed,
        "unsigned_runs": sorted(set(unsigned)),
        "receipts_checked": checked,
        "key_id": signer.key_id if signer else None,
    }


def _uncovered(verification, by_seq, covered, pruned_through):
    """A record of a signed run that none of the run's signatures lists: appended afterwards, or written by a slice
    of the same run id that never reached its run_end."""
    for seq in sorted(by_seq):
        rec = by_seq[seq]
        if rec.run_id in covered and seq not in covered[rec.run_id] and rec.kind != "prune" and seq > pruned_through:
            msg = (
                f"record {seq} ({rec.kind}, host {rec.host or '-'}) of run {rec.run_id} is not among the records the "
                "run signed: added after signing, or written by a job of the same run id that never ended"
            )
            verification.problem("unsigned", seq, msg)


def _signature(rec):
    try:
        return json.loads(rec.body).get("signature")
    except (ValueError, AttributeError):
        return None


def _check_receipt(verification, signer, require_signature, where, receipt, by_hash, started, ended):
    rid, head = receipt.get("run_id"), receipt.get("head")
    seq = receipt.get("head_seq") or 0
    if signer is not None:
        why = signing.check_receipt(signer, receipt)
        if why and (require_signature or receipt.get("signature") is not None):
            verification.problem("receipt", seq, f"receipt of run {rid} ({where}): {why}")
    elif require_signature and receipt.get("signature") is not None:
        msg = f"receipt of run {rid} ({where}) is signed but no verifying key was given"
        verification.problem("receipt", seq, msg)
    if rid not in started and rid not in ended:
        msg = f"run {rid} of the receipt ({where}) has no records in the store: the run is missing"
        verification.problem("missing_run", seq, msg)
        return
    rec = by_hash.get(head)
    if rec is None:
        msg = (
            f"the head {str(head)[:16]} of run {rid} published in the receipt ({where}) is not in the store: "
            "its records were rewritten or deleted"
        )
        verification.problem("receipt", seq, msg)
    elif rec.run_id != rid or (receipt.get("head_seq") is not None and rec.seq != receipt["head_seq"]):
        msg = (
            f"the head of run {rid} published in the receipt ({where}) is record {rec.seq} of run {rec.run_id} "
            f"in the store, not record {receipt.get('head_seq')} of run {rid}"
        )
        verification.problem("receipt", rec.seq, msg)


def receipts_from(log=None, receipt=None) -> list:
    """(where, receipt) pairs from a receipt log file and/or one receipt dict (an AWX artifact, set_stats data)."""
    out = [(f"{log} line {number}", item) for number, item in signing.read_receipts(log)] if log else []
    if receipt:
        if not isinstance(receipt, dict) or not receipt.get("run_id") or not receipt.get("head"):
            raise signing.SigningError("the receipt option needs a dict with run_id and head (the published receipt)")
        out.append(("the receipt option", receipt))
    return out
