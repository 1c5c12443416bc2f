"""The rollout's waves as data: checked field by field, selected by name, planned over the matched hosts."""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.waves import (
    WaveError,
    check_waves,
    is_core,
    needs_change_id,
    plan_waves,
    selected,
)

FOUR = [
    {"name": "canary", "serial": 1},
    {"name": "pilot", "serial": 1, "freeze": False},
    {"name": "staged", "serial": [1, "10%", "25%"], "max_fail_percentage": 20, "gate_min_success": 0.75},
    {"name": "full", "serial": ["25%", "50%"], "max_fail_percentage": 25, "soak_seconds": 60},
]


def test_defaults_are_filled_in_and_only_the_first_wave_freezes():
    waves = check_waves(FOUR)
    assert [w["name"] for w in waves] == ["canary", "pilot", "staged", "full"]
    assert [w["hosts"] for w in waves] == ["wave_canary", "wave_pilot", "wave_staged", "wave_full"]
    assert [w["freeze"] for w in waves] == [True, False, False, False]
    assert waves[0]["max_fail_percentage"] == 0 and waves[0]["gate_min_success"] == 1.0
    assert waves[3]["soak_seconds"] == 60


@pytest.mark.parametrize(
    ("waves", "message"),
    [
        ("bogus", "rollout_waves: expected a list of waves"),
        ({"name": "pilot"}, "rollout_waves: expected a list of waves"),
        ([], "rollout_waves: the list is empty"),
        (["pilot"], "rollout_waves[0]: expected a mapping"),
        ([{"serial": 1}], "rollout_waves[0].name: expected a lower-case name"),
        ([{"name": "Pilot"}], "rollout_waves[0] (Pilot).name: expected a lower-case name"),
        ([{"name": "a"}, {"name": "a"}], "rollout_waves[1] (a).name: wave 'a' is defined twice"),
        ([{"name": "a", "serail": 1}], "rollout_waves[0] (a): unknown field(s) serail"),
        ([{"name": "a", "serial": 0}], "rollout_waves[0] (a).serial: 0 is not a batch size"),
        ([{"name": "a", "serial": "150%"}], "rollout_waves[0] (a).serial: '150%' is not a batch size"),
        ([{"name": "a", "serial": []}], "rollout_waves[0] (a).serial: an empty list"),
        ([{"name": "a", "serial": True}], "rollout_waves[0] (a).serial: True is not a batch size"),
        ([{"name": "a", "max_fail_percentage": 120}], "max_fail_percentage: expected a number from 0 to 100"),
        ([{"name": "a", "gate_min_success": 75}], "gate_min_success: expected a number from 0 to 1, got 75"),
        ([{"name": "a", "soak_seconds": -5}], "soak_seconds: expected an integer from 0"),
        ([{"name": "a", "freeze": "yes"}], "rollout_waves[0] (a).freeze: expected true or false"),
        ([{"name": "a", "hosts": ""}], "rollout_waves[0] (a).hosts: expected a host pattern"),
    ],
)
def test_bad_waves_are_named_by_index_and_field(waves, message):
    with pytest.raises(WaveError) as err:
        check_waves(waves)
    assert message in str(err.value)


def test_selection_keeps_the_list_order_and_rejects_unknown_names():
    waves = check_waves(FOUR)
    assert [w["name"] for w in selected(waves, "full, canary")] == ["canary", "full"]
    assert [w["name"] for w in selected(waves, [])] == ["canary", "pilot", "staged", "full"]
    with pytest.raises(WaveError, match=r"unknown wave\(s\) ring2; defined: canary, pilot, staged, full"):
        selected(waves, ["ring2"])


def test_plan_splits_core_devices_and_gates_every_wave_but_the_last():
    waves = check_waves(FOUR)
    matched = {"canary": ["a1"], "pilot": ["a1", "p1", "core1"], "staged": ["s1", "s2"], "full": ["f1"]}
    plan = plan_waves(waves, matched, core={"core1"})
    assert [w["host_list"] for w in plan] == [["a1"], ["p1"], ["s1", "s2"], ["f1"]]  # a1 runs in canary only
    assert plan[1]["core_hosts"] == ["core1"] and plan[1]["count"] == 2
    assert [w["gate"] for w in plan] == [True, True, True, False]


def test_a_wave_that_matches_no_host_is_an_error_unless_allowed():
    waves = check_waves([{"name": "pilot"}, {"name": "staged", "hosts": "wave_staged:&linux"}])
    with pytest.raises(WaveError, match=r"wave staged: its host pattern 'wave_staged:&linux' matches no host"):
        plan_waves(waves, {"pilot": ["p1"], "staged": []}, core=set())
    with pytest.raises(WaveError, match=r"only hosts of an earlier wave"):
        plan_waves(waves, {"pilot": ["p1"], "staged": ["p1"]}, core=set())
    plan = plan_waves(waves, {"pilot": ["p1"], "staged": []}, core=set(), allow_empty=True)
    assert plan[1]["count"] == 0


def test_a_change_ticket_is_needed_only_for_waves_that_install_the_frozen_manifest():
    waves = check_waves(FOUR)
    assert not needs_change_id(selected(waves, "canary"))
    assert needs_change_id(selected(waves, "canary,pilot"))


@pytest.mark.parametrize(
    ("asset", "hostvars", "groups", "core"),
    [
        ({"criticality": "critical"}, {}, [], True),
        ({"criticality": "high"}, {}, [], False),
        ({}, {"everylayer_core": "true"}, [], True),
        ({}, {"everylayer_core": False}, [], False),
        (None, {}, ["core"], True),
    ],
)
def test_core_devices(asset, hostvars, groups, core):
    assert is_core(asset, hostvars, groups, "core") is core
