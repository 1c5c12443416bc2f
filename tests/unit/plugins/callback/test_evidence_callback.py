"""The callback plugin: options from DOCUMENTATION (env/ini), hooks handing plain values to the recorder, fail closed."""

import types

import pytest
from ansible.executor.stats import AggregateStats
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from helpers.evidence_callback import start


@pytest.fixture
def callback(make_callback):
    return make_callback()


def fake_result(
    host="web1", task_name="Patch", action="everylayer.patch.packages", result=None, no_log=False, args=None
):
    task = types.SimpleNamespace(no_log=no_log, action=action, args=args or {}, get_name=lambda: task_name)
    return types.SimpleNamespace(task=task, host=types.SimpleNamespace(get_name=lambda: host), result=result or {})


def test_options_come_from_the_environment(callback, tmp_path):
    assert callback.CALLBACK_NEEDS_ENABLED and callback.CALLBACK_TYPE == "notification"
    assert callback.get_option("store") == str(tmp_path / "ev.sqlite")
    assert callback.get_option("synchronous") == "normal"
    assert callback.get_option("on_error") == "fail" and callback.get_option("ticket_vars") == [
        "change_id",
        "change_ticket",
    ]


def test_hooks_record_and_publish_the_receipt(callback, capsys):
    stats = AggregateStats()
    callback._stats = stats
    start(callback, {"change_id": "CHG-9"})
    callback._stats = stats  # v2_playbook_on_start looked for the real TaskQueueManager's stats; there is none here
    callback.v2_runner_on_ok(fake_result(result={"changed": True, "layer": "os", "changes": [{"component": "a"}]}))
    callback.v2_runner_on_failed(fake_result(result={"msg": "nope"}), ignore_errors=True)
    callback.v2_runner_on_unreachable(fake_result(host="web2", result={"msg": "down"}))
    receipt = stats.custom["_run"]["evidence"]
    assert receipt["records"] == 4 and receipt["complete"]
    records = list(callback.recorder.store.records())
    assert [r.kind for r in records] == ["run_start", "change", "failure", "unreachable"]
    assert records[0].data["change_ticket"] == "CHG-9" and records[2].data["ignored"] is True
    callback.v2_playbook_on_stats(stats)
    # the run's last record is run_end: the receipt counts it
    assert f"EVIDENCE run={receipt['run_id']} records=5 " in capsys.readouterr().out
    with open_store(callback.recorder.target, readonly=True) as db:
        assert [r.kind for r in db.records()][-1] == "run_end"


def test_a_failed_write_ends_the_run(callback, tmp_path):
    start(callback)
    callback.recorder.store._db.execute("DROP TABLE evidence_records")
    with pytest.raises(SystemExit) as exc:
        callback.v2_runner_on_ok(fake_result(result={"layer": "os", "changes": []}))
    assert exc.value.code == 16


def test_warn_mode_does_not_end_the_run(make_callback):
    plugin = make_callback(on_error="warn")
    start(plugin)
    plugin.recorder.store._db.execute("DROP TABLE evidence_records")
    plugin.v2_runner_on_ok(fake_result(result={"layer": "os", "changes": []}))
    assert plugin.recorder.lost == 1
