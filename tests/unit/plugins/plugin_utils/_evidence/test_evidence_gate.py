"""The gate's view of the evidence: host outcomes in a run and rollbacks left open, through a real store."""

import json
import os
import subprocess
import sys
from pathlib import Path

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.gate import gate_view, host_outcomes

REPO = Path(__file__).resolve().parents[5]
HOSTS = ["web1", "web2", "db1", "db2", "mail1"]


def change(failed=False, simulated=False, changes=({"component": "lab-agent", "before": "1.0", "after": "1.2"},)):
    return {"layer": "os", "changes": list(changes), "failed": failed, "simulated": simulated}


def decision(kind, host):
    return {"task": "t", "decision": {"kind": kind, "host": host, "wave": "staged"}}


def write_run(store, run_id, events):
    for seq, (kind, host, data) in enumerate(events, 1):
        store.append(run_id, seq, kind, host, data)


def staged_run(store):
    write_run(
        store,
        "run-2",
        [
            ("change", "web1", change()),  # patched
            ("change", "web2", change(failed=True)),  # failed half way...
            ("rollback", "web2", change()),  # ...rolled back from its change record
            ("decision", "web2", decision("rolled_back", "web2")),
            ("failure", "web2", {"task": "Fail the host", "msg": "web2 failed"}),  # the rescue's final fail
            ("change", "db1", change(changes=())),  # already compliant
            ("unreachable", "db2", {"task": "precheck", "msg": "timed out"}),
            ("decision", "mail1", decision("deferred", "mail1")),
        ],
    )


def test_outcomes_and_counts_of_a_run(store):
    staged_run(store)
    run = list(store.records(run_id="run-2"))
    view = gate_view(run, list(store.records()), HOSTS + ["app1"])
    assert view["outcomes"] == {
        "web1": "patched",
        "web2": "rolled_back",
        "db1": "patched",
        "db2": "unchanged",
        "mail1": "deferred",
        "app1": "untouched",
    }
    assert view["counts"]["patched"] == 2 and view["counts"]["unchanged"] == 1 and view["counts"]["untouched"] == 1
    assert view["counts"]["failed"] == 0
    assert view["success_rate"] == 0.5  # 2 patched of 4 attempted (deferred and untouched do not count)
    assert view["open_rollbacks"] == []


def test_verified_unchanged_decision_wins_over_the_failed_change(store):
    write_run(
        store, "run-u", [("change", "sw1", change(failed=True)), ("decision", "sw1", decision("unchanged", "sw1"))]
    )
    assert host_outcomes(store.records(run_id="run-u"), ["sw1"]) == {"sw1": "unchanged"}


def test_failure_after_a_change_without_rollback_is_failed(store):
    write_run(store, "run-f", [("change", "web1", change()), ("failure", "web1", {"task": "postcheck", "msg": "bad"})])
    assert host_outcomes(store.records(run_id="run-f"), ["web1"]) == {"web1": "failed"}


def test_check_mode_records_are_only_planned(store):
    write_run(store, "run-c", [("change", "web1", change(simulated=True))])
    assert host_outcomes(store.records(run_id="run-c"), ["web1"]) == {"web1": "planned"}


def test_failed_rollback_stays_open_until_a_later_success(store):
    write_run(store, "run-1", [("change", "web2", change(failed=True)), ("rollback", "web2", change(failed=True))])
    staged_run(store)  # run-2 patches web1 and rolls web2 back successfully
    every = list(store.records())
    first = [r for r in every if r.run_id == "run-1"]
    assert host_outcomes(first, ["web2"]) == {"web2": "failed"}
    # seen from run-1 alone the rollback is open; after run-2's successful rollback it is closed
    assert [o["host"] for o in gate_view(first, first, ["web2"])["open_rollbacks"]] == ["web2"]
    assert gate_view(first, every, ["web2"])["open_rollbacks"] == []
    write_run(store, "run-3", [("rollback", "db1", change(failed=True))])
    opened = gate_view([], list(store.records()), ["web1"], scope=HOSTS)["open_rollbacks"]
    assert [(o["host"], o["run_id"]) for o in opened] == [("db1", "run-3")]


def run_lookup(store_target, env=None, **options):
    """The lookup through a real `ansible localhost -m debug` (the collection resolved as users resolve it)."""
    expr = "lookup('everylayer.patch.evidence_gate', ['web1', 'web2'], store=store, **opts)"
    argv = [str(Path(sys.executable).with_name("ansible")), "localhost", "-m", "ansible.builtin.debug"]
    argv += ["-a", "msg={{ " + expr + " | to_json }}", "-e", json.dumps({"store": store_target, "opts": options})]
    environ = {k: v for k, v in os.environ.items() if k != "EVERYLAYER_EVIDENCE_RUN_ID"}
    environ.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_LOAD_CALLBACK_PLUGINS="0", **(env or {}))
    proc = subprocess.run(argv, cwd=REPO, env=environ, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return None, proc.stdout + proc.stderr
    return json.loads(json.loads(proc.stdout.split("=>", 1)[1])["msg"]), ""


def test_lookup_reads_the_current_run(store_target, store):
    staged_run(store)
    write_run(store, "run-3", [("rollback", "db1", change(failed=True))])
    view, _ = run_lookup(store_target, {"EVERYLAYER_EVIDENCE_RUN_ID": "run-2"}, open_rollbacks_hosts=HOSTS)
    assert view["run_id"] == "run-2"
    assert view["outcomes"] == {"web1": "patched", "web2": "rolled_back"}
    assert [o["host"] for o in view["open_rollbacks"]] == ["db1"]
    _, error = run_lookup(store_target, run_id="run-404")
    assert "run run-404 has no records" in error
    _, error = run_lookup(store_target)
    assert "enable the everylayer.patch.evidence callback" in error
