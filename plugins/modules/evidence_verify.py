#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: evidence_verify
short_description: Verify the hash chain of the change evidence store
version_added: 1.0.0
description:
  - Recomputes every record's hash in the evidence store written by the C(everylayer.patch.evidence) callback
    and follows the links between records.
  - Names each record that was edited, deleted, inserted or reordered, and a pruning anchor that does not match
    its C(prune) record.
  - Also names what a chain alone cannot show - a run without its C(run_end) record (interrupted), a host whose
    C(intent) record has no outcome (unknown state, until a later scan reconciles it), an empty store, a O(run_id)
    with no records.
  - Strict. Opens the store read-only (SQLite C(mode=ro), a PostgreSQL read-only session) and never creates or
    migrates it; a store that does not exist or lacks a table is a failure.
  - With a key (O(signing_key_file), O(signing_key) or the callback's own signing key), checks each run's signature
    in its C(run_end) record against the run's stored records, so an edit that re-hashed the chain is caught; with
    O(require_signature=true) a run without a valid signature is a problem too.
  - With published receipts (O(receipt_log), O(receipt)), checks that each receipt's head is still the same record
    of the same run in the store, and the receipt's signature when a key is given.
  - Fails the task on any problem unless O(fail_on_mismatch=false), which only reports (RV(verified), RV(problems)).
  - Runs on the controller (action plugin); the store is never written.
author:
  - everylayer.patch contributors (@everylayer)
options:
  expected_head:
    description:
      - The chain head from a run's receipt. When the store's head differs, records at the end were deleted
        (the head is missing) or were added after the receipt (the head is earlier in the chain).
    type: str
  run_id:
    description:
      - The run that must be in the store (a problem when it has no records); the whole chain is always verified.
    type: str
  fail_on_mismatch:
    description:
      - Fail the task when the store does not verify. V(false) only reports (RV(verified) and RV(problems)).
    type: bool
    default: true
  allow_empty:
    description: Accept a store with no records (a problem by default, since a run was expected to write some).
    type: bool
    default: false
  signing_key_file:
    description:
      - The key file that checks run signatures and receipts. An HMAC secret (the same file the callback signs
        with), or for Ed25519 the PEM public key (or the private key).
      - Default the environment variable E(EVERYLAYER_EVIDENCE_SIGNING_KEY) (the key itself), then the callback's
        C(signing_key_file) setting (E(EVERYLAYER_EVIDENCE_SIGNING_KEY_FILE) or C([everylayer_evidence]) in ansible.cfg).
      - A key file readable by group or others is refused, except a public key.
    type: path
  signing_key:
    description:
      - The key itself instead of a file (from a credential or vault). Never logged or returned.
    type: str
  require_signature:
    description:
      - Make every run in scope (all runs, or O(run_id)) need a valid signature; a run without one (signed with no
        key, or interrupted before its C(run_end)) is a problem C(unsigned), and a signed run with no key to check
        it is a problem C(signature).
    type: bool
    default: false
  receipt_log:
    description:
      - The append-only receipt log the callback writes (its C(receipt_log) setting, the default). Every receipt in
        it (or the one of O(run_id)) must match the store.
    type: path
  receipt:
    description:
      - One published receipt (the callback's C(evidence) custom stats from AWX or ansible-runner artifacts, or
        C(evidence_receipt.json)) - a dict with C(run_id), C(head), C(head_seq) and, when signed, C(signature).
    type: dict
extends_documentation_fragment:
  - everylayer.patch.evidence_store
  - everylayer.patch.evidence_store.read_only
seealso:
  - module: everylayer.patch.evidence_report
"""

EXAMPLES = r"""
- name: Verify the evidence chain
  everylayer.patch.evidence_verify:
    store: /var/lib/everylayer/evidence.sqlite

- name: Report the problems without failing
  everylayer.patch.evidence_verify:
    fail_on_mismatch: false
  register: evidence

- name: Verify a shared PostgreSQL store against a run's receipt
  everylayer.patch.evidence_verify:
    store: "postgresql://evidence@db.example.com/evidence?sslmode=verify-full"
    expected_head: "{{ receipt_head }}"

- name: Verify signatures and the receipt log; every run must be signed
  everylayer.patch.evidence_verify:
    signing_key_file: /etc/everylayer/evidence.key
    receipt_log: /var/log/everylayer/receipts.jsonl
    require_signature: true

- name: Verify a run against the receipt a previous workflow node published
  everylayer.patch.evidence_verify:
    run_id: "{{ evidence.run_id }}"
    receipt: "{{ evidence }}"
"""

RETURN = r"""
verified:
  description: True when every record is intact and linked in order, and every run ended with every outcome known.
  returned: always
  type: bool
records:
  description: Number of records in the store.
  returned: success
  type: int
runs:
  description: Number of runs with records in the store (0 or 1 with O(run_id)).
  returned: success
  type: int
head:
  description: Hash of the last record (the chain head).
  returned: success
  type: str
head_seq:
  description: Sequence number of the last record.
  returned: success
  type: int
problems:
  description: One entry per problem found, in chain order.
  returned: success
  type: list
  elements: dict
  contains:
    problem:
      description:
        - C(edited), C(deleted), C(inserted), C(reordered), C(head), C(anchor), C(interrupted) (a run without
          C(run_end)), C(unknown) (an intent without outcome), C(empty), C(missing_run) or C(store) (the store is
          missing, unreadable or lacks a table); C(signature) (a run's signature does not hold for its records, or
          is made with another key), C(unsigned) (signing required, run not signed), C(receipt) (a published receipt's
          head is not that record in the store, or its signature does not hold).
      type: str
    seq:
      description: The record where the problem shows.
      type: int
    msg:
      description: What is wrong, naming the record.
      type: str
summary:
  description: One line for logs and C(failed_when) messages.
  returned: success
  type: str
  sample: "evidence verified: 120 records in 3 runs, head 4b3857895712e3e1 (seq 120)"
interrupted_runs:
  description: Runs without a C(run_end) record (run_id, started, settled - every unknown host since reconciled by a scan).
  returned: always
  type: list
  elements: dict
unknown_hosts:
  description:
    - Intents without an outcome (host, run_id, task, seq, reconciled_by - the C(reconcile) record of the scan that
      settled it, changed_outside - what that scan found changed outside the evidence).
  returned: always
  type: list
  elements: dict
backend:
  description: C(sqlite) or C(postgresql).
  returned: success
  type: str
signed_runs:
  description: Runs whose signature was checked and holds.
  returned: success
  type: list
  elements: str
unsigned_runs:
  description: Runs without a signature (no C(run_end), or recorded without a key).
  returned: success
  type: list
  elements: str
receipts_checked:
  description: Number of published receipts checked against the store.
  returned: success
  type: int
key_id:
  description: The verifying key's id (a digest of the key, never the key), or null without a key.
  returned: success
  type: str
receipt:
  description:
    - When the store verified and the key can sign, a signed statement of the verified head (C(run_id) is O(run_id)
      or null, C(head), C(head_seq), C(records), C(signature)), ready to pass to C(ansible.builtin.set_stats).
  returned: when verified with a signing key
  type: dict
"""
