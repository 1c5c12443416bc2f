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


def verify(records, anchor: Anchor | None = None, expected_head: str | None = None, prune_records=()) -> VerifyResult:
    """Walk ``records`` (in seq order) and name every edited, deleted, inserted or reordered record."""
    records = list(records)
    result = VerifyResult(records=len(records))
    result.runs = len({rec.run_id for rec in records})
    by_hash = {rec.hash: idx for idx, rec in enumerate(records)}
    prev_hash = anchor.last_hash if anchor else GENESIS
    prev_seq = anchor.pruned_through if anchor else 0
    if anchor is not None and not any(_matches_anchor(rec, anchor) for rec in prune_records):
        result.problem("anchor", anchor.pruned_through, "the pruning anchor does not match any prune record in the chain")
    skip_link = False
    for idx, rec in enumerate(records):
        if rec.computed_hash() != rec.hash:
            result.problem("edited", rec.seq, f"record {rec.seq} ({rec.kind}, run {rec.run_id}) was edited: its content does not match its hash")
        if rec.prev_hash != prev_hash and not skip_link:
            _name_break(result, records, idx, prev_hash, prev_seq, by_hash)
        elif rec.seq != prev_seq + 1 and not skip_link:
            result.problem("deleted", rec.seq, f"records {prev_seq + 1}..{rec.seq - 1} are missing (seq gap before record {rec.seq})")
        skip_link = False
        nxt = records[idx + 1] if idx + 1 < len(records) else None
        if nxt is not None and nxt.prev_hash == prev_hash and rec.prev_hash != prev_hash:
            skip_link = True  # rec was inserted: the next record still links to rec's predecessor
            prev_seq = rec.seq
            continue
        prev_hash, prev_seq = rec.hash, rec.seq
    if records:
        result.head, result.head_seq = records[-1].hash, records[-1].seq
    elif anchor:
        result.head, result.head_seq = anchor.last_hash, anchor.pruned_through
    if expected_head and expected_head != result.head:
        if expected_head in by_hash:
            seq = records[by_hash[expected_head]].seq
            result.problem("head", seq, f"the chain goes past the expected head (record {seq}); records after it are not in the receipt")
        else:
            result.problem("deleted", result.head_seq + 1, f"the expected head {expected_head[:16]} is not in the store: records at the end were deleted")
    return result


def _matches_anchor(rec: Record, anchor: Anchor) -> bool:
    data = rec.data
    return rec.kind == "prune" and data.get("pruned_through") == anchor.pruned_through and data.get("last_hash") == anchor.last_hash and data.get("digest") == anchor.digest


def _name_break(result, records, idx, prev_hash, prev_seq, by_hash):
    rec = records[idx]
    nxt = records[idx + 1] if idx + 1 < len(records) else None
    before = records[idx - 1] if idx > 0 else None
    if before is not None and rec.prev_hash == before.prev_hash:
        result.problem("inserted", before.seq, f"record {before.seq} ({before.kind}, run {before.run_id}) was inserted: record {rec.seq} links past it")
    elif rec.prev_hash in by_hash and by_hash[rec.prev_hash] > idx:
        later = records[by_hash[rec.prev_hash]]
        result.problem("reordered", rec.seq, f"record {rec.seq} was reordered: it follows record {later.seq} in the chain")
    elif nxt is not None and nxt.prev_hash == prev_hash:
        result.problem("inserted", rec.seq, f"record {rec.seq} ({rec.kind}, run {rec.run_id}) was inserted: record {nxt.seq} links to record {prev_seq}")
    elif rec.prev_hash in by_hash:
        earlier = records[by_hash[rec.prev_hash]]
        result.problem("reordered", rec.seq, f"record {rec.seq} was reordered or records were deleted: it links to record {earlier.seq}, not {prev_seq}")
    else:
        result.problem("deleted", rec.seq, f"record(s) before record {rec.seq} were deleted or replaced: its predecessor hash matches no record (expected record {prev_seq})")
