"""Signed evidence with the real ansible-playbook (issue 18 item 6): the alice -> mallory rewrite fails the verify task.

The key comes from the environment (what the AWX credential type injects), the receipt log from the environment too;
evidence_verify reads both from the callback's own settings, with no option in the task.
"""

import json
import subprocess
import sys

from evidence_helpers import HERE, REPO, run_playbook

SECRET = "integration-signing-key-7f3a9c2e5b1d"
VERIFY = """---
- name: Verify the evidence with the key and the receipt log
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Verify
      everylayer.patch.evidence_verify:
        require_signature: true
        fail_on_mismatch: {fail}
      register: verdict
    - name: Show the verdict
      ansible.builtin.debug:
        msg: "VERDICT {{{{ verdict.verified }}}} {{{{ verdict.problems | map(attribute='problem') | unique | sort | join(',') }}}}"
"""


def test_a_rewritten_chain_fails_the_verify_task(tmp_path):
    store, log = tmp_path / "ev.sqlite", tmp_path / "published" / "receipts.jsonl"
    env = {"EVERYLAYER_EVIDENCE_SIGNING_KEY": SECRET, "EVERYLAYER_EVIDENCE_RECEIPT_LOG": str(log)}
    run = run_playbook(HERE / "smoke.yml", store, "-l", "node1", "-e", "approver=alice", **env)
    assert run.returncode == 0, run.stdout + run.stderr
    receipts = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(receipts) == 1 and receipts[0]["signature"]["alg"] == "hmac-sha256"
    assert f"head={receipts[0]['head']}" in run.stdout
    for path in (store, log):
        assert SECRET.encode() not in path.read_bytes()
    assert SECRET not in run.stdout + run.stderr

    for fail in ("true", "false"):
        (tmp_path / f"verify-{fail}.yml").write_text(VERIFY.format(fail=fail))
    clean = run_playbook(tmp_path / "verify-true.yml", store, **env)
    assert clean.returncode == 0 and "VERDICT True" in clean.stdout, clean.stdout + clean.stderr

    rewrite = subprocess.run(
        [sys.executable, str(REPO / "tests" / "helpers" / "evidence_rewrite.py"), str(store)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "records edited: 1" in rewrite.stdout
    caught = run_playbook(tmp_path / "verify-true.yml", store, **env)
    assert caught.returncode == 2, caught.stdout
    assert "changed after signing" in caught.stdout and "is not in the store" in caught.stdout
    reported = run_playbook(tmp_path / "verify-false.yml", store, **env)
    assert reported.returncode == 0 and "VERDICT False receipt,signature" in reported.stdout, reported.stdout
    assert SECRET not in caught.stdout + caught.stderr + reported.stdout
