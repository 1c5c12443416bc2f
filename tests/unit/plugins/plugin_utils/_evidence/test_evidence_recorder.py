"""The recorder: which events become records, what they hold, and failing closed."""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.recorder import EvidenceIncomplete, Recorder
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.redact import CENSORED, REDACTED

CHANGE = {
    "changed": True,
    "layer": "os",
    "changes": [
        {
            "component": "lab-agent",
            "kind": "package",
            "before": "1.0-1",
            "after": "1.1-1",
            "advisories": ["CVE-2026-0001"],
            "severity": "high",
            "reboot_required": False,
        }
    ],
    "pending": [],
    "reboot_required": False,
    "rollback": {"strategy": "packages", "data": {"lab-agent": "1.0-1"}},
    "stdout": "not evidence",
    "login": {"password": "hunter2"},
}


@pytest.fixture
def recorder(store_target):
    rec = Recorder(target=store_target)
    rec.start({"user": "alice", "change_ticket": "CHG-1", "extra": {"token": "t0ps3cret"}})
    yield rec
    rec.close()


def kinds(recorder):
    return [(r.kind, r.host) for r in recorder.store.records(run_id=recorder.run_id)]


def test_change_record_is_kept_whole(recorder):
    recorder.task_result("web1", "Patch", "everylayer.patch.packages", dict(CHANGE), "ok")
    rec = list(recorder.store.records())[-1]
    data = rec.data
    assert rec.kind == "change" and rec.host == "web1" and rec.run_seq == 2
    assert data["changes"] == CHANGE["changes"] and data["rollback"] == CHANGE["rollback"] and data["layer"] == "os"
    assert "stdout" not in data and "login" not in data


def test_run_start_metadata_is_redacted(recorder):
    first = list(recorder.store.records())[0]
    assert (
        first.kind == "run_start"
        and first.data["extra"]["token"] == REDACTED
        and first.data["change_ticket"] == "CHG-1"
    )


def test_event_kinds(recorder):
    recorder.task_result(
        "web1", "Roll back", "everylayer.patch.packages", dict(CHANGE), "ok", task_args={"state": "rolled_back"}
    )
    recorder.task_result("web1", "Apply", "x", dict(CHANGE, failed=True, msg="boom"), "failed")
    recorder.task_result("web2", "Gather", "setup", {"msg": "unreachable: ssh"}, "unreachable")
    recorder.task_result("web2", "Fail", "ansible.builtin.fail", {"msg": "plain"}, "failed")
    recorder.task_result(
        "localhost",
        "Gate",
        "everylayer.patch.rollout_gate",
        {"everylayer_decision": {"kind": "gate", "wave": "pilot", "passed": True}},
        "ok",
    )
    # a fact of that name is not a decision (the rollout records decisions with explicit actions)
    recorder.task_result(
        "localhost", "Fact", "set_fact", {"ansible_facts": {"everylayer_decision": {"kind": "x"}}}, "ok"
    )
    recorder.task_result(
        "localhost", "Stats", "set_stats", {"ansible_stats": {"data": {"everylayer_decision": {"kind": "halt"}}}}, "ok"
    )
    recorder.task_result("web1", "Debug", "debug", {"msg": "hello"}, "ok")
    recorder.task_result("web1", "Loop", "x", {"results": [dict(CHANGE), {"msg": "no record"}, dict(CHANGE)]}, "ok")
    assert kinds(recorder)[1:] == [
        ("rollback", "web1"),
        ("change", "web1"),
        ("unreachable", "web2"),
        ("failure", "web2"),
        ("decision", "localhost"),
        ("decision", "localhost"),
        ("change", "web1"),
        ("change", "web1"),
    ]
    decision = [r for r in recorder.store.records() if r.kind == "decision"][0].data["decision"]
    assert decision == {"kind": "gate", "wave": "pilot", "passed": True}


def test_no_log_results_are_withheld(recorder):
    recorder.task_result("web1", "Secret patch", "x", {"censored": CENSORED, "changed": True}, "ok", no_log=True)
    recorder.task_result("web1", "Secret patch", "x", dict(CHANGE), "ok", no_log=True)
    recs = list(recorder.store.records())[1:]
    assert [r.kind for r in recs] == ["withheld", "withheld"]
    assert all(r.data["censored"] == CENSORED and "changes" not in r.data for r in recs)


def test_receipt(recorder):
    recorder.task_result("web1", "Patch", "x", dict(CHANGE), "ok")
    receipt = recorder.receipt()
    assert (
        receipt["records"] == 2 and receipt["complete"] and receipt["head"] == list(recorder.store.records())[-1].hash
    )
    assert recorder.receipt_line().startswith(f"EVIDENCE run={recorder.run_id} records=2 head={receipt['head']}")


def test_fails_closed_when_the_store_cannot_be_opened(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    rec = Recorder(target=str(blocker / "evidence.sqlite"))
    with pytest.raises(EvidenceIncomplete, match="evidence incomplete"):
        rec.start({})


def test_fails_closed_when_a_write_fails(tmp_path):
    rec = Recorder(target=str(tmp_path / "ev.sqlite"))
    rec.start({})
    rec.store._db.execute("DROP TABLE evidence_records")
    with pytest.raises(EvidenceIncomplete):
        rec.task_result("web1", "Patch", "x", dict(CHANGE), "ok")


def test_warn_mode_keeps_going_and_marks_the_receipt(tmp_path):
    rec = Recorder(target=str(tmp_path / "ev.sqlite"), fail_closed=False)
    rec.start({})
    rec.store._db.execute("DROP TABLE evidence_records")
    rec.task_result("web1", "Patch", "x", dict(CHANGE), "ok")
    receipt = rec.receipt()
    assert receipt["lost"] == 1 and not receipt["complete"] and "INCOMPLETE" in rec.receipt_line()


def test_simulated_changes_are_marked(recorder):
    recorder.task_result("web1", "Patch (check)", "x", dict(CHANGE, simulated=True), "ok")
    assert list(recorder.store.records())[-1].data["simulated"] is True


def test_checks_run_in_the_patch_call_are_kept_with_the_change(recorder):
    failed = {"healthy": False, "checks": [{"name": "app", "ok": False, "detail": "rc=1"}], "failed_checks": ["app"]}
    healthy = {"healthy": True, "checks": [], "failed_checks": []}
    recorder.task_result("web1", "Patch", "everylayer.patch.packages", dict(CHANGE, precheck=healthy), "ok")
    recorder.task_result("web2", "Patch", "everylayer.patch.packages", dict(CHANGE, postcheck=failed), "failed")
    first, second = list(recorder.store.records())[-2:]
    assert first.data["precheck"] == healthy and "postcheck" not in first.data
    assert second.data["postcheck"] == failed and second.data["failed"] is True
