"""The callback fails closed: bad options end the run loudly; write-ahead intents, loop items, run_end, the run id."""

import json
import os
import types

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from helpers.evidence_callback import start

PROBE = "everylayer.patch.packages"


def task(name="Patch", action=PROBE, args=None, uuid="t-1", loop=None, no_log=False):
    return types.SimpleNamespace(
        no_log=no_log,
        action=action,
        resolved_action=action,
        args=args if args is not None else {"state": "patched"},
        get_name=lambda: name,
        _uuid=uuid,
        loop=loop,
        loop_with=None,
        check_mode=None,
    )


def host(name="web1"):
    return types.SimpleNamespace(get_name=lambda: name)


def result(the_task, host_name="web1", data=None):
    return types.SimpleNamespace(task=the_task, host=host(host_name), result=data or {}, task_fields={})


def kinds(plugin):
    return [(r.kind, r.host) for r in plugin.recorder.store.records()]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"on_error": "fial"}, "on_error"),
        ({"synchronous": "fulll"}, "synchronous"),
        ({"retention_days": "thirty"}, "retention_days"),
        ({"retention_days": "-5"}, "retention_days"),
        ({"store": " "}, "store"),
    ],
)
def test_a_bad_option_ends_the_run_naming_it(make_callback, capsys, env, named):
    """ansible-core would skip the callback with a warning (the run going on without evidence): never."""
    with pytest.raises(SystemExit) as exc:
        make_callback(**env)
    assert exc.value.code == 16
    err = capsys.readouterr().err
    assert named in err and f"EVERYLAYER_EVIDENCE_{named.upper()}" in err and "stopped" in err


def test_the_run_id_comes_from_the_extra_var_and_is_exposed(make_callback):
    plugin = make_callback()
    start(plugin, {"everylayer_run_id": "rollout-2026-12-07.1"})
    assert plugin.recorder.run_id == "rollout-2026-12-07.1"
    assert os.environ["EVERYLAYER_EVIDENCE_RUN_ID"] == "rollout-2026-12-07.1"
    marker = json.loads(os.environ["EVERYLAYER_EVIDENCE_ACTIVE"])
    assert marker["run_id"] == "rollout-2026-12-07.1" and marker["recording"] and marker["pid"] == os.getpid()
    assert "ev.sqlite" not in os.environ["EVERYLAYER_EVIDENCE_ACTIVE"]  # a fingerprint, never a DSN with a password
    assert [r.run_id for r in plugin.recorder.store.records()] == ["rollout-2026-12-07.1"]


@pytest.mark.parametrize("bad", ["", " x", "a/b", "x" * 200, "$(touch /tmp/x)"])
def test_a_bad_run_id_ends_the_run(make_callback, bad):
    plugin = make_callback()
    if bad == "":
        start(plugin, {"everylayer_run_id": bad})  # empty: not given, a new id
        assert plugin.recorder.run_id
        return
    with pytest.raises(SystemExit):
        start(plugin, {"everylayer_run_id": bad})


def test_an_intent_is_committed_before_the_task_reaches_the_host(make_callback):
    plugin = make_callback()
    start(plugin)
    patch = task()
    plugin.v2_runner_on_start(host(), patch)
    # what a SIGKILL here would leave behind: the intent, no outcome
    assert kinds(plugin) == [("run_start", None), ("intent", "web1")]
    intent = list(plugin.recorder.store.records())[-1].data
    assert intent["task_uuid"] == "t-1" and intent["state"] == "patched" and intent["action"] == PROBE
    plugin.v2_runner_on_ok(result(patch, data={"changed": True, "layer": "os", "changes": [{"component": "a"}]}))
    change = list(plugin.recorder.store.records())[-1]
    assert change.kind == "change" and change.data["task_uuid"] == "t-1"


def test_scans_and_other_actions_get_no_intent(make_callback):
    plugin = make_callback()
    start(plugin)
    plugin.v2_runner_on_start(host(), task(args={}))  # packages defaults to state=scanned
    plugin.v2_runner_on_start(host(), task(args={"state": "scanned"}))
    plugin.v2_runner_on_start(host(), task(action="ansible.builtin.command", args={"cmd": "true"}))
    assert kinds(plugin) == [("run_start", None)]


def test_the_rollout_plan_task_that_patches_an_os_host_gets_an_intent_and_its_change_is_a_change(make_callback):
    """rollout_host_plan with os_patch runs the OS patch itself: write-ahead like the packages module, and its change
    record is a change (not a scan, although the task has no state); without os_patch it only plans: no intent."""
    plugin = make_callback()
    start(plugin)
    plan = "everylayer.patch.rollout_host_plan"
    plugin.v2_runner_on_start(host("db1"), task(action=plan, args={"wave": "pilot"}, uuid="t-0"))
    assert kinds(plugin) == [("run_start", None)]
    planned = task(action=plan, args={"wave": "pilot", "os_patch": "{{ x }}"})
    plugin.v2_runner_on_start(host(), planned)
    assert kinds(plugin)[-1] == ("intent", "web1")
    record = {"changed": True, "layer": "os", "changes": [{"component": "a"}], "plan": {"layer": "os"}}
    plugin.v2_runner_on_ok(result(planned, data=record))
    change = list(plugin.recorder.store.records())[-1]
    assert change.kind == "change" and change.data["task_uuid"] == "t-1" and "scan" not in change.data
    # a host the same task only planned (a device, a deferred host): its outcome closes the intent
    device = task(action=plan, args={"wave": "pilot", "os_patch": "{{ x }}"}, uuid="t-2")
    plugin.v2_runner_on_start(host("sw1"), device)
    plugin.v2_runner_on_ok(result(device, "sw1", data={"changed": False, "plan": {"layer": "network"}}))
    assert kinds(plugin)[-2:] == [("intent", "sw1"), ("outcome", "sw1")]
    # a host it only planned but whose plan is a decision (a baseline's, a deferral): the decision carries no
    # task_uuid, so the outcome still closes the intent (else the gate would count the host as unknown)
    governed = task(action=plan, args={"wave": "pilot", "os_patch": "{{ x }}"}, uuid="t-3")
    plugin.v2_runner_on_start(host("win1"), governed)
    plugin.v2_runner_on_ok(
        result(governed, "win1", data={"changed": False, "everylayer_decision": {"kind": "baseline"}})
    )
    assert kinds(plugin)[-3:] == [("intent", "win1"), ("decision", "win1"), ("outcome", "win1")]


def test_a_skipped_or_quiet_patch_task_still_closes_its_intent(make_callback):
    plugin = make_callback()
    start(plugin)
    patch = task()
    plugin.v2_runner_on_start(host(), patch)
    plugin.v2_runner_on_skipped(result(patch, data={"skipped": True}))
    records = list(plugin.recorder.store.records())
    assert records[-1].kind == "outcome" and records[-1].data == {
        "task": "Patch",
        "action": PROBE,
        "task_uuid": "t-1",
        "status": "skipped",
        "changed": False,
    }


def test_loop_items_are_recorded_as_they_finish(make_callback):
    plugin = make_callback()
    start(plugin)
    patch = task(loop=["a", "b", "c"])
    plugin.v2_runner_on_start(host(), patch)
    for name in ("a", "b"):
        item = {"changed": True, "layer": "os", "changes": [{"component": name}], "item": name}
        plugin.v2_runner_item_on_ok(result(patch, data=item))
    # killed before item c: a and b are in the store, each as its own record, and the intent is still open
    recs = list(plugin.recorder.store.records())
    assert [(r.kind, r.data.get("item")) for r in recs[2:]] == [("change", 1), ("change", 2)]
    final = {"changed": True, "results": [{"layer": "os", "changes": [{"component": n}]} for n in "abc"]}
    plugin.v2_runner_item_on_ok(result(patch, data={"changed": True, "layer": "os", "changes": [{"component": "c"}]}))
    plugin.v2_runner_on_ok(result(patch, data=final))
    recs = list(plugin.recorder.store.records())
    # no duplicate of the items at the task's end: one outcome closes the intent
    assert [r.kind for r in recs] == ["run_start", "intent", "change", "change", "change", "outcome"]


def test_the_run_ends_with_a_run_end_record(make_callback):
    from ansible.executor.stats import AggregateStats

    plugin = make_callback()
    start(plugin)
    stats = AggregateStats()
    stats.increment("ok", "web1")
    stats.increment("changed", "web1")
    target = plugin.recorder.target
    plugin.v2_playbook_on_stats(stats)
    with open_store(target, readonly=True) as db:
        last = list(db.records())[-1]
    assert last.kind == "run_end" and last.data["hosts"]["web1"]["changed"] == 1


def test_secrets_in_task_args_and_urls_never_reach_the_store(make_callback):
    plugin = make_callback()
    start(plugin)
    patch = task(args={"state": "patched", "bmc_password": "Pl4nted-Arg-Pw", "image_uri": "x"})
    plugin.v2_runner_on_start(host(), patch)
    data = {
        "changed": True,
        "layer": "firmware",
        "changes": [{"component": "bios", "after": "2.0", "source": "https://admin:Pl4nted-Url-Pw@fw.example/b.bin"}],
        "rollback": {"strategy": "image", "data": {"image": "scp://root:Pl4nted-Rb-Pw@10.0.0.9/old.bin"}},
        "msg": "login as admin with Pl4nted-Arg-Pw failed once, retried",
        "invocation": {"module_args": {"token_x": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}},
    }
    res = result(patch, data=data)
    res.task_fields = {"args": {"token_x": "Pl4nted-NoLog-Val", "bmc_password": "Pl4nted-Arg-Pw"}}
    data["msg"] += " Pl4nted-NoLog-Val"
    plugin.v2_runner_on_ok(res)
    with open(plugin.recorder.store.path, "rb") as handle:
        raw = handle.read()
    wal = plugin.recorder.store.path + "-wal"
    raw += open(wal, "rb").read() if os.path.exists(wal) else b""
    for secret in (b"Pl4nted-Arg-Pw", b"Pl4nted-Url-Pw", b"Pl4nted-Rb-Pw", b"Pl4nted-NoLog-Val"):
        assert secret not in raw
    change = list(plugin.recorder.store.records())[-1].data
    assert change["rollback"]["data"]["image"] == "scp://root:********@10.0.0.9/old.bin"
    assert "with ******** failed" in change["msg"]


def test_a_package_named_like_a_secret_does_not_blank_its_version_everywhere(make_callback):
    plugin = make_callback()
    start(plugin)
    patch = task()
    plugin.v2_runner_on_start(host(), patch)
    data = {
        "changed": True,
        "layer": "os",
        "changes": [
            {"component": "libsecret-1-0", "before": "0.20.5-3", "after": "0.21.0-1"},
            {"component": "zlib", "before": "0.20.5-3", "after": "0.21.0-1"},
        ],
        "rollback": {
            "strategy": "packages",
            "data": {"manager": "apt", "packages": {"libsecret-1-0": "0.20.5-3", "pass": "1.7.4-6"}, "token": "t0k3n"},
        },
    }
    plugin.v2_runner_on_ok(result(patch, data=data))
    change = list(plugin.recorder.store.records())[-1].data
    assert [c["before"] for c in change["changes"]] == ["0.20.5-3", "0.20.5-3"]
    # the rollback block must still undo the change: package names are data, not credential fields
    assert change["rollback"]["data"]["packages"] == {"libsecret-1-0": "0.20.5-3", "pass": "1.7.4-6"}
    assert change["rollback"]["data"]["token"] == "********"


def test_a_signing_key_that_cannot_be_used_ends_the_run_naming_it(make_callback, capsys, tmp_path, monkeypatch):
    """Signing required but impossible must not become a run with unsigned evidence."""
    loose = tmp_path / "loose.key"
    loose.write_text("a-long-enough-hmac-secret-0123456789")
    loose.chmod(0o644)
    with pytest.raises(SystemExit) as exc:
        make_callback(signing_key_file=str(loose))
    assert exc.value.code == 16
    err = capsys.readouterr().err
    assert "signing_key_file" in err and "readable by other users" in err and "0123456789" not in err
    monkeypatch.delenv("EVERYLAYER_EVIDENCE_SIGNING_KEY_FILE")
    with pytest.raises(SystemExit) as exc:
        make_callback(signing_key="short")
    assert exc.value.code == 16 and "shorter than 16 bytes" in capsys.readouterr().err
    monkeypatch.delenv("EVERYLAYER_EVIDENCE_SIGNING_KEY")
    loose.chmod(0o600)
    plugin = make_callback(signing_key_file=str(loose), receipt_log=str(tmp_path / "receipts.jsonl"))
    assert plugin.recorder.signer.alg == "hmac-sha256" and plugin.recorder.receipt_log.endswith("receipts.jsonl")
