#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: evidence_report
short_description: Render the change evidence as HTML, JSON and CSV
version_added: 1.0.0
description:
  - Reads the evidence store written by the C(everylayer.patch.evidence) callback, verifies the whole chain and
    writes a report for a run or a time range.
  - The HTML page is self-contained (inline CSS and SVG charts, no scripts, no external assets) and shows
    changes per layer and host with before and after, failures, rollbacks, wave decisions, time to patch
    (first seen pending to patched) and the patch success rate.
  - Interrupted runs (no C(run_end)) and hosts left in an unknown state (a patch task without its outcome) come
    first, with what the next scan found.
  - JSON carries the same data; CSV has one row per changed component, and a cell that starts with C(=), C(+),
    C(-), C(@), a tab or a CR gets a leading C(') so a spreadsheet does not run it as a formula.
  - The store is opened read-only; credentials in URLs and DSNs are redacted again in every format.
  - Runs on the controller (action plugin). Files are written owner-only; the task never reports C(changed).
author:
  - everylayer.patch contributors (@everylayer)
options:
  dest:
    description: Directory for the report files C(evidence-report[-RUN].html|json|csv).
    type: path
    required: true
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [html, json, csv]
    default: [html, json, csv]
  run_id:
    description: Report only this run (the C(run=) of a receipt).
    type: str
  start:
    description: Report records at or after this UTC time (C(2026-11-01T00:00:00.000000Z); a date prefix works).
    type: str
  end:
    description: Report records before this UTC time (same format; C(2026-12-01) ends with November).
    type: str
  title:
    description: Title of the HTML page.
    type: str
attributes:
  check_mode:
    support: full
    description: The report is written in check mode too; it changes nothing on any host.
  diff_mode:
    support: none
    description: Nothing on a host changes.
extends_documentation_fragment:
  - everylayer.patch.evidence_store
seealso:
  - module: everylayer.patch.evidence_verify
"""

EXAMPLES = r"""
- name: Render the report of one run
  everylayer.patch.evidence_report:
    dest: reports/
    run_id: "{{ run_id }}"
  register: report

- name: Render last month as CSV
  everylayer.patch.evidence_report:
    dest: reports/
    formats: [csv]
    start: "2026-10-01"
    end: "2026-11-01"
"""

RETURN = r"""
paths:
  description: Written files by format.
  returned: success
  type: dict
  sample: {"html": "/srv/reports/evidence-report.html"}
totals:
  description:
    - Changes, succeeded, failed, rollbacks, failures, decisions, withheld, hosts, success_rate, interrupted_runs and
      unknown_hosts (not yet reconciled).
  returned: success
  type: dict
verification:
  description: The chain verification (ok, summary, records, head, problems) of the whole store.
  returned: success
  type: dict
records:
  description: Records selected for the report.
  returned: success
  type: int
interrupted_runs:
  description:
    - Runs without a C(run_end) record (run_id, started, settled), also shown first in the HTML report and in the
      JSON; C(settled) when a later scan reconciled every host the run left in an unknown state.
  returned: success
  type: list
  elements: dict
unknown_hosts:
  description:
    - Hosts whose patch task started and never reported an outcome (host, run_id, task, seq, reconciled_by,
      changed_outside - what the reconciling scan found changed outside the evidence).
  returned: success
  type: list
  elements: dict
"""
