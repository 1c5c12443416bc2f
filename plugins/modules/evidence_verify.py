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
attributes:
  check_mode:
    support: full
    description: Only reads the store.
  diff_mode:
    support: none
    description: Nothing changes.
extends_documentation_fragment:
  - everylayer.patch.evidence_store
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
          missing, unreadable or lacks a table).
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
"""
