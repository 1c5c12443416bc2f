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
  - Does not fail by itself when the chain is broken; use O(expected_head) and C(failed_when) on RV(verified).
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
    description: Only affects RV(runs); the whole chain is always verified.
    type: str
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
  register: evidence
  failed_when: not evidence.verified

- name: Verify a shared PostgreSQL store against a run's receipt
  everylayer.patch.evidence_verify:
    store: "postgresql://evidence@db.example.com/evidence?sslmode=verify-full"
    expected_head: "{{ receipt_head }}"
  register: evidence
  failed_when: not evidence.verified
"""

RETURN = r"""
verified:
  description: True when every record is intact and linked in order.
  returned: success
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
      description: C(edited), C(deleted), C(inserted), C(reordered), C(head) or C(anchor).
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
backend:
  description: C(sqlite) or C(postgresql).
  returned: success
  type: str
"""
