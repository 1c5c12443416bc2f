"""The gate between waves: one decision from the wave's outcomes, whichever source gave them."""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.gate import (
    DecisionError,
    decide,
    host_decision,
    message,
    play_outcomes,
)


def test_a_clean_wave_passes():
    decision = decide("pilot", {"a": "patched", "b": "patched", "c": "deferred"}, 1.0)
    assert decision["passed"] and decision["success_rate"] == 1.0 and decision["attempted"] == 2
    assert message(decision).startswith("gate after wave pilot passed (evidence)")


def test_a_rolled_back_host_lowers_the_rate_and_a_failed_one_stops_the_rollout():
    decision = decide("staged", {"a": "patched", "b": "rolled_back"}, 0.5)
    assert decision["passed"] and decision["success_rate"] == 0.5
    failed = decide("staged", {"a": "patched", "b": "failed"}, 0.5)
    assert not failed["passed"] and "1 host(s) failed without rollback: b" in failed["reason"]


def test_unknown_counts_as_failed():
    decision = decide("staged", {"a": "patched", "b": "unknown"}, 0.0)
    assert not decision["passed"] and "1 host(s) in an unknown state" in decision["reason"]
    assert decision["reason"].endswith("counted as failed): b")


def test_a_wave_with_no_attempted_host_fails_unless_allowed():
    outcomes = {"a": "deferred", "b": "untouched"}
    decision = decide("pilot", outcomes, 1.0)
    assert not decision["passed"]
    assert "no host of the wave was attempted (2 host(s): deferred 1, untouched 1)" in decision["reason"]
    assert decide("pilot", outcomes, 1.0, allow_empty=True)["passed"]
    assert not decide("pilot", {}, 1.0)["passed"]


def test_check_mode_counts_planned_hosts():
    assert decide("pilot", {"a": "planned"}, 1.0, check_mode=True)["passed"]
    assert not decide("pilot", {"a": "planned"}, 1.0)["passed"]


def test_open_rollbacks_stop_the_gate():
    decision = decide("pilot", {"a": "patched"}, 1.0, open_rollbacks=[{"host": "z", "run_id": "r1"}])
    assert not decision["passed"] and "open rollbacks from earlier runs on z" in decision["reason"]


@pytest.mark.parametrize(("fact", "outcome"), [(None, "untouched"), ("pending", "untouched"), ("patched", "patched")])
def test_play_outcomes(fact, outcome):
    hostvars = {"a": {"rollout_outcome": fact} if fact else {}}
    assert play_outcomes(["a"], hostvars) == {"a": outcome}


def test_a_rolled_back_decision_needs_a_change_that_was_undone():
    undone = host_decision("rolled_back", "staged", "h1", "postcheck failed", {"changes": [{"component": "a"}]})
    assert undone == {"kind": "rolled_back", "wave": "staged", "host": "h1", "reason": "postcheck failed"}
    # the host failed before its first change: recorded as unchanged, never as rolled back
    nothing = host_decision("rolled_back", "staged", "h1", "download failed", {"changes": [], "failed": True})
    assert nothing["kind"] == "unchanged" and "lists no change" in nothing["note"]
    with pytest.raises(DecisionError, match="needs the change_record"):
        host_decision("rolled_back", "staged", "h1")
    with pytest.raises(DecisionError, match="details may not set kind"):
        host_decision("deferred", "staged", "h1", details={"kind": "x"})
    frozen = host_decision("manifest_frozen", "pilot", details={"manifest": {"apt": {"a": "1"}}})
    assert frozen == {"kind": "manifest_frozen", "wave": "pilot", "manifest": {"apt": {"a": "1"}}}
