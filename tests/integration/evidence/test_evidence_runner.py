"""Under ansible-runner (its Python API, awx_display stdout callback): the receipt is in the job output and artifacts."""

import json
import os
import shutil

import ansible_runner
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from evidence_helpers import ANSIBLE_PLAYBOOK, HERE, REPO


def test_receipt_reaches_runner_artifacts(tmp_path):
    private = tmp_path / "runner"
    (private / "project").mkdir(parents=True)
    shutil.copy(HERE / "smoke.yml", private / "project" / "smoke.yml")
    store = tmp_path / "ev.sqlite"
    result = ansible_runner.run(
        private_data_dir=str(private),
        playbook="smoke.yml",
        inventory=str(HERE / "inventory.yml"),
        limit="node1",
        ident="job-42",
        extravars={"change_id": "CHG-42", "awx_job_id": 42, "awx_job_template_name": "Patch Tuesday"},
        envvars={
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_CALLBACKS_ENABLED": "everylayer.patch.evidence",
            "ANSIBLE_LIBRARY": str(HERE / "library"),
            "EVERYLAYER_EVIDENCE_STORE": str(store),
            "PATH": os.pathsep.join([os.path.dirname(ANSIBLE_PLAYBOOK), os.environ.get("PATH", "")]),
        },
        quiet=True,
    )
    stdout = result.stdout.read()
    assert result.rc == 0, stdout
    artifacts = private / "artifacts" / "job-42"
    receipt = json.loads((artifacts / "evidence_receipt.json").read_text())
    assert f"EVIDENCE run={receipt['run_id']} records={receipt['records']} head={receipt['head']}" in stdout
    stats_event = [e for e in result.events if e["event"] == "playbook_on_stats"][0]
    assert stats_event["event_data"]["artifact_data"]["evidence"] == receipt
    with open_store(str(store)) as db:
        records = list(db.records())
        assert db.verify(expected_head=receipt["head"]).ok
    meta = records[0].data
    assert meta["runner"]["ident"] == "job-42" and meta["awx"]["awx_job_id"] == 42 and meta["change_ticket"] == "CHG-42"
    assert receipt["records"] == len(records) == 8 and records[-1].kind == "run_end"
