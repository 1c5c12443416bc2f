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
  - Planned changes (a check-mode run's forecasts) have the status C(planned) in every format; each change row
    carries its run's change ticket, approver and AWX job id; approvals recorded with
    C(everylayer.patch.rollout_decision) are listed per wave with the wave's gate decisions.
  - With the governance options (O(policy), O(exceptions), the advisory feeds...) a compliance overview comes first.
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
  compliance:
    description:
      - Build the compliance overview (docs/governance.md) and show it first in the HTML, under C(compliance) in the
        JSON and as C(evidence-report[-RUN]-compliance.csv) (one row per pending update of each host and layer).
      - Default - built when any of O(policy), O(exceptions), O(osv), O(kev), O(epss), O(as_of), O(due_soon_days),
        O(unknown_after_days) or O(assets) is given; C(false) leaves it out whatever is given.
      - The overview reads the store's whole history up to the end of O(as_of) (compliance needs the scans before
        the reported run or range). A store with no recorded scan up to then is an error, not an empty overview.
    type: bool
  policy:
    description:
      - The governance policy file (tiers, rules, SLA days, compliance windows); the documented defaults when omitted.
    type: path
  exceptions:
    description:
      - An exceptions file (C(exceptions:) list); an expired or unapproved exception fails the task naming file and
        line.
    type: path
  osv:
    description: OSV records - files, directories or ecosystem dumps (C(all.zip)), paths or URLs.
    type: list
    elements: str
  kev:
    description: The CISA KEV catalogue JSON (path or URL).
    type: str
  epss:
    description: A FIRST EPSS scores CSV, optionally gzipped (path or URL).
    type: str
  as_of:
    description: The day the compliance is measured on (YYYY-MM-DD); today (UTC) when omitted. Records after it do not count.
    type: str
  due_soon_days:
    description: Overrides the policy's C(due_soon_days) (an item is due soon when its deadline is this close).
    type: int
  unknown_after_days:
    description: Overrides the policy's C(unknown_after_days) (an asset-layer whose last scan is older is unknown).
    type: int
  assets:
    description:
      - Host name to its asset record (C(criticality), C(exposure), C(wave), C(layers)); an asset whose C(layers)
        name a layer never scanned counts as unknown.
      - Default - the C(asset) variable of every inventory host that has one (the C(everylayer.patch.assets)
        inventory).
    type: dict
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

- name: Render the report with its compliance overview
  everylayer.patch.evidence_report:
    dest: reports/
    policy: governance/policy.yml
    exceptions: governance/exceptions.yml
    kev: feeds/known_exploited_vulnerabilities.json
    epss: feeds/epss_scores-current.csv.gz
    osv: [feeds/osv/]
    due_soon_days: 5
"""

RETURN = r"""
paths:
  description: Written files by format (and C(compliance_csv) with a compliance overview).
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
compliance:
  description:
    - With a compliance overview - its summary (C(counts) per state, C(total), C(compliance_rate), C(overdue_by_tier),
      C(kev_exposure), C(kev_open)), C(as_of), C(sla_attainment), C(deployment_success_rate) and C(sources) (the
      policy, exceptions and records read per feed).
  returned: when the compliance overview is built
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
