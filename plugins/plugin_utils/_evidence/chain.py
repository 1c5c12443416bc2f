# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hash chain: how a record's hash is computed and how a sequence of records is verified.

One global chain per store. Each record's hash covers its predecessor's hash and every stored field
except ``seq`` (the row's position), so the order is protected by the links alone: a reordered row
shows up as a link to a record that comes later, not as an edit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

GENESIS = "0" * 64


def canonical(data) -> str:
    """The one JSON spelling of ``data`` that is hashed and stored."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_hash(prev_hash, run_id, run_seq, kind, host, recorded_at, body) -> str:
    material = canonical([prev_hash, run_id, int(run_seq), kind, host, recorded_at, body])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass
class Record:
    seq: int
    run_id: str
    run_seq: int
    kind: str
    host: str | None
    recorded_at: str
    body: str
    prev_hash: str
    hash: str

    @property
    def data(self) -> dict:
        return json.loads(self.body)

    def computed_hash(self) -> str:
        return record_hash(self.prev_hash, self.run_id, self.run_seq, self.kind, self.host, self.recorded_at, self.body)

    def as_dict(self) -> dict:
        return {
            "seq": self.seq,
            "run_id": self.run_id,
            "run_seq": self.run_seq,
            "kind": self.kind,
            "host": self.host,
            "recorded_at": self.recorded_at,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass
class Anchor:
    """What pruning left behind: the last pruned record's seq and hash, and a digest of every pruned hash."""

    pruned_through: int
    last_hash: str
    count: int
    digest: str
    pruned_at: str
    oldest_at: str | None = None
    newest_at: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class VerifyResult:
    ok: bool = True
    records: int = 0
    runs: int = 0
    head: str = GENESIS
    head_seq: int = 0
    problems: list = field(default_factory=list)

    def problem(self, kind, seq, msg):
        self.ok = False
        self.problems.append({"problem": kind, "seq": seq, "msg": msg})

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "records": self.records,
            "runs": self.runs,
            "head": self.head,
            "head_seq": self.head_seq,
            "problems": self.problems,
            "summary": self.summary(),
        }

    def summary(self) -> str:
        if self.ok:
            return f"evidence verified: {self.records} records in {self.runs} runs, head {self.head[:16]} (seq {self.head_seq})"
        first = self.problems[0]["msg"]
        return f"evidence NOT verified: {len(self.problems)} problem(s); first: {first}"


def pruned_digest(hashes) -> str:
    digest = hashlib.sha256()
    for value in hashes:
        digest.update(value.encode("ascii"))
    return digest.hexdigest()


def verify(records, anchor: Anchor | None = None, expected_head: str | None = None) -> VerifyResult:
    """Walk the records in seq order and name every edited, deleted, inserted or reordered record.

    ``records`` is a sequence, or a callable returning a fresh iterator (a store streams its records twice:
    once to index every hash, once to check each record against its neighbours), so memory holds the hash
    index, not the records.
    """
    source = records if callable(records) else (lambda: iter(records))
    result = VerifyResult()
    by_hash, runs, prunes = {}, set(), []
    for idx, rec in enumerate(source()):
        by_hash[rec.hash] = (idx, rec.seq)
        runs.add(rec.run_id)
        result.records += 1
        result.head, result.head_seq = rec.hash, rec.seq
        if rec.kind == "prune":
            prunes.append(rec)
    result.runs = len(runs)
    if not result.records and anchor:
        result.head, result.head_seq = anchor.last_hash, anchor.pruned_through
    if anchor is not None and not any(_matches_anchor(rec, anchor) for rec in prunes):
        result.problem(
            "anchor", anchor.pruned_through, "the pruning anchor does not match any prune record in the chain"
        )
    prev_hash = anchor.last_hash if anchor else GENESIS
    prev_seq = anchor.pruned_through if anchor else 0
    skip_link = False
    stream = source()
    before, rec, idx = None, next(stream, None), 0
    while rec is not None:
        nxt = next(stream, None)
        if rec.computed_hash() != rec.hash:
            msg = f"record {rec.seq} ({rec.kind}, run {rec.run_id}) was edited: its content does not match its hash"
            result.problem("edited", rec.seq, msg)
        if rec.prev_hash != prev_hash and not skip_link:
            _name_break(result, before, rec, nxt, idx, prev_hash, prev_seq, by_hash)
        elif rec.seq != prev_seq + 1 and not skip_link:
            msg = f"records {prev_seq + 1}..{rec.seq - 1} are missing (seq gap before record {rec.seq})"
            result.problem("deleted", rec.seq, msg)
        skip_link = False
        if nxt is not None and nxt.prev_hash == prev_hash and rec.prev_hash != prev_hash:
            skip_link = True  # rec was inserted: the next record still links to rec's predecessor
            prev_seq = rec.seq
        else:
            prev_hash, prev_seq = rec.hash, rec.seq
        before, rec, idx = rec, nxt, idx + 1
    if expected_head and expected_head != result.head:
        if expected_head in by_hash:
            seq = by_hash[expected_head][1]
            msg = f"the chain goes past the expected head (record {seq}); records after it are not in the receipt"
            result.problem("head", seq, msg)
        else:
            msg = f"the expected head {expected_head[:16]} is not in the store: records at the end were deleted"
            result.problem("deleted", result.head_seq + 1, msg)
    return result


def _matches_anchor(rec: Record, anchor: Anchor) -> bool:
    data = rec.data
    return (
        rec.kind == "prune"
        and data.get("pruned_through") == anchor.pruned_through
        and data.get("last_hash") == anchor.last_hash
        and data.get("digest") == anchor.digest
    )


def _name_break(result, before, rec, nxt, idx, prev_hash, prev_seq, by_hash):
    if before is not None and rec.prev_hash == before.prev_hash:
        msg = f"record {before.seq} ({before.kind}, run {before.run_id}) was inserted: record {rec.seq} links past it"
        result.problem("inserted", before.seq, msg)
    elif rec.prev_hash in by_hash and by_hash[rec.prev_hash][0] > idx:
        later = by_hash[rec.prev_hash][1]
        result.problem("reordered", rec.seq, f"record {rec.seq} was reordered: it follows record {later} in the chain")
    elif nxt is not None and nxt.prev_hash == prev_hash:
        msg = (
            f"record {rec.seq} ({rec.kind}, run {rec.run_id}) was inserted: record {nxt.seq} links to record {prev_seq}"
        )
        result.problem("inserted", rec.seq, msg)
    elif rec.prev_hash in by_hash:
        earlier = by_hash[rec.prev_hash][1]
        msg = f"record {rec.seq} was reordered or records were deleted: it links to record {earlier}, not {prev_seq}"
        result.problem("reordered", rec.seq, msg)
    else:
        msg = f"record(s) before record {rec.seq} were deleted or replaced: its predecessor hash matches no record (expected record {prev_seq})"
        result.problem("deleted", rec.seq, msg)
