"""evidence_verify and evidence_report as playbook tasks: results, messages and failures, on both backends."""

from __future__ import annotations

import json

import pytest
from evidence_helpers import run_playbook, write_playbook

TASKS = """---
- name: Evidence tasks
  hosts: node1
  gather_facts: false
  tasks:
    - name: Verify
      everylayer.patch.evidence_verify:
        store: "{{ store }}"
      register: verify
    - name: Verify the store named by EVERYLAYER_EVIDENCE_STORE
      everylayer.patch.evidence_verify:
      register: verify_env
    - name: Verify against a head that is not in the store
      everylayer.patch.evidence_verify:
        store: "{{ store }}"
        expected_head: "0123456789abcdef"
        fail_on_mismatch: false
      register: verify_head
    - name: Verify a store that cannot be opened
      everylayer.patch.evidence_verify:
        store: "{{ blocked }}/evidence.sqlite"
      register: verify_broken
      ignore_errors: true
    - name: Report
      everylayer.patch.evidence_report:
        store: "{{ store }}"
        dest: "{{ reports }}"
      register: report
    - name: Report in check mode, as CSV
      everylayer.patch.evidence_report:
        store: "{{ store }}"
        dest: "{{ reports }}"
        formats: [csv]
      check_mode: true
      register: report_check
    - name: Report into a directory that cannot be made
      everylayer.patch.evidence_report:
        store: "{{ store }}"
        dest: "{{ blocked }}/reports"
      register: report_broken
      ignore_errors: true
    - name: Save the results
      ansible.builtin.copy:
        content: "{{ {'verify': verify, 'verify_env': verify_env, 'verify_head': verify_head,
          'verify_broken': verify_broken, 'report': report, 'report_check': report_check,
          'report_broken': report_broken} | to_nice_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "evidence.sqlite")
    return request.getfixturevalue("postgres_dsn")


def test_verify_and_report_tasks(tmp_path, store):
    recorded = run_playbook(write_playbook(tmp_path / "work.yml", 2, hosts="node1"), store)
    assert recorded.returncode == 0, recorded.stdout[-3000:] + recorded.stderr[-2000:]
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory\n")
    (tmp_path / "tasks.yml").write_text(TASKS)
    extra = {
        "store": store,
        "blocked": str(blocked),
        "reports": str(tmp_path / "reports"),
        "out": str(tmp_path / "out.json"),
    }
    proc = run_playbook(tmp_path / "tasks.yml", store, "-e", json.dumps(extra), timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    res = json.loads((tmp_path / "out.json").read_text())

    verify = res["verify"]
    assert verify["verified"] is True and verify["changed"] is False and not verify.get("failed")
    assert verify["msg"] == verify["summary"] and verify["summary"].startswith("evidence verified: ")
    assert verify["backend"] == ("sqlite" if store.endswith(".sqlite") else "postgresql")
    records = verify["records"]
    assert records >= 3  # what the first playbook recorded (two changes and more)
    assert res["verify_env"]["head"] == verify["head"] and res["verify_env"]["records"] == records
    head = res["verify_head"]
    assert head["verified"] is False and not head.get("failed") and head["changed"] is False
    assert "0123456789abcdef" in head["msg"]
    broken = res["verify_broken"]
    assert broken["failed"] is True and broken["changed"] is False
    assert broken["verified"] is False and broken["problems"][0]["problem"] == "store"
    assert f"no SQLite evidence store at {blocked}/evidence.sqlite: the file does not exist" in broken["msg"]
    assert not (tmp_path / "a-file").is_dir()  # nothing created

    report = res["report"]
    assert report["changed"] is False and not report.get("failed")
    assert sorted(report["paths"]) == ["csv", "html", "json"]
    assert report["msg"] == f"evidence report written: {', '.join(sorted(report['paths'].values()))}"
    # The callback records this playbook too (its failed tasks), so the store has grown since the first verify.
    assert report["verification"]["ok"] is True and report["records"] == report["verification"]["records"] > records
    for path in report["paths"].values():
        assert (tmp_path / "reports" / path.rsplit("/", 1)[-1]).is_file()
    assert res["report_check"]["changed"] is False and list(res["report_check"]["paths"]) == ["csv"]
    broken = res["report_broken"]
    assert broken["failed"] is True and broken["changed"] is False
    assert broken["msg"].startswith("cannot write the evidence report: ") and "Not a directory" in broken["msg"]
