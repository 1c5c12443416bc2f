"""The evidence callback inside real ansible-playbook runs: records, secrets, stdout callbacks, failing closed."""

import os
import stat
import subprocess

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from evidence_helpers import ANSIBLE_PLAYBOOK, HERE, REPO, evidence_env, run_playbook

SMOKE = HERE / "smoke.yml"


@pytest.mark.parametrize(
    "stdout_callback", ["ansible.builtin.default", "ansible.builtin.minimal", "ansible.builtin.oneline"]
)
def test_smoke_run_records_everything(tmp_path, stdout_callback):
    store = tmp_path / "ev.sqlite"
    proc = run_playbook(
        SMOKE,
        store,
        "-l",
        "node1",
        "-e",
        "change_id=CHG-1",
        "-e",
        "approver=alice",
        ANSIBLE_STDOUT_CALLBACK=stdout_callback,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open_store(str(store)) as db:
        records = list(db.records())
        assert db.verify(expected_head=records[-1].hash).ok
    kinds = ["run_start", "change", "withheld", "change", "rollback", "decision", "failure", "run_end"]
    assert [r.kind for r in records] == kinds
    meta = records[0].data
    assert (meta["change_ticket"], meta["approver"]) == ("CHG-1", "alice") and meta["git"].get("commit")
    assert records[3].data["failed"] is True and records[6].data["ignored"] is True
    receipt = f"EVIDENCE run={records[0].run_id} records=8 head={records[-1].hash} store=sqlite complete"
    assert receipt in proc.stdout
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("ev.sqlite"))
    for secret in (b"hunter2", b"tok-123", b"withheld-component"):
        assert secret not in raw


def test_report_playbook_verifies_and_prints_the_path(tmp_path):
    store = tmp_path / "ev.sqlite"
    assert run_playbook(SMOKE, store, "-l", "node1").returncode == 0
    env = evidence_env(store)
    env.pop("ANSIBLE_CALLBACKS_ENABLED")
    proc = subprocess.run(
        [
            ANSIBLE_PLAYBOOK,
            "-i",
            "localhost,",
            str(REPO / "playbooks" / "report.yml"),
            "-e",
            f"report_dest={tmp_path / 'out'}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(REPO),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "evidence verified: 8 records in 1 runs" in proc.stdout
        and str(tmp_path / "out" / "evidence-report.html") in proc.stdout
    )
    assert (tmp_path / "out" / "evidence-report.csv").exists()


def test_report_playbook_fails_on_a_tampered_store(tmp_path):
    store = tmp_path / "ev.sqlite"
    assert run_playbook(SMOKE, store, "-l", "node1").returncode == 0
    with open_store(str(store)) as db:
        db._db.execute("UPDATE evidence_records SET body = replace(body, '1.1-1', '9.9-9') WHERE seq = 2")
    env = evidence_env(store)
    env.pop("ANSIBLE_CALLBACKS_ENABLED")
    proc = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", "localhost,", str(REPO / "playbooks" / "report.yml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(REPO),
        check=False,
    )
    assert proc.returncode != 0 and "record 2 (change, run" in proc.stdout and "was edited" in proc.stdout


def test_unwritable_store_fails_the_run_before_any_change(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    proc = run_playbook(SMOKE, blocker / "ev.sqlite", "-l", "node1")
    assert proc.returncode == 16, proc.stdout + proc.stderr
    assert "evidence incomplete" in proc.stdout + proc.stderr
    assert "Change a package" not in proc.stdout


def test_warn_mode_lets_the_run_finish(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    proc = run_playbook(SMOKE, blocker / "ev.sqlite", "-l", "node1", EVERYLAYER_EVIDENCE_ON_ERROR="warn")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "evidence incomplete" in proc.stdout + proc.stderr and "INCOMPLETE" in proc.stdout


@pytest.mark.postgres
def test_postgres_store_records_a_run(tmp_path, postgres_dsn):
    proc = run_playbook(SMOKE, postgres_dsn, "-l", "node1,node2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open_store(postgres_dsn) as db:
        records = list(db.records())
        assert db.verify().ok
    assert len(records) == 14 and "store=postgresql complete" in proc.stdout
