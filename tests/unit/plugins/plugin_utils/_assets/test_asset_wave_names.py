"""The asset map's wave names come from its `waves` setting, the same list (names, order, shares) as the rollout's
rollout_waves: a canary, or four rings, is a change to that list only."""

import pytest
import yaml
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.build import AssetMap, host_entries
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.record import AssetInputError
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.waves import (
    WaveConfigError,
    assign_waves,
    check_wave_list,
)

FOUR = [
    {"name": "canary", "share": 0.02},
    {"name": "pilot", "share": 0.08},
    {"name": "staged", "share": 0.3},
    {"name": "full"},
]


def estate(count=100):
    return [{"name": f"h{i:03d}", "platform": {"distribution": "debian"}, "criticality": "low"} for i in range(count)]


def test_four_waves_from_the_list_with_their_shares():
    placed = assign_waves(estate(), waves=check_wave_list(FOUR))
    counts = {}
    for wave, _origin in placed.values():
        counts[wave] = counts.get(wave, 0) + 1
    assert counts == {"canary": 2, "pilot": 8, "staged": 30, "full": 60}


def test_an_explicit_wave_must_be_one_of_the_list():
    records = estate(10)
    records[3]["wave"] = "canary"
    placed = assign_waves(records, waves=check_wave_list(FOUR))
    assert placed["h003"] == ("canary", "explicit")
    with pytest.raises(WaveConfigError, match="asset h003: wave 'canary' is not one of the waves pilot, staged, full"):
        assign_waves(records)


@pytest.mark.parametrize(
    ("waves", "message"),
    [
        ([], "waves.list must be a non-empty list"),
        ([{"name": "Canary", "share": 0.1}, {"name": "full"}], r"waves.list\[0\]: expected \{name, share\}"),
        ([{"name": "a", "share": 2}, {"name": "b"}], r"waves.list\[0\] \(a\).share: expected a number from 0 to 1"),
        ([{"name": "a", "share": 0.6}, {"name": "b", "share": 0.6}, {"name": "c"}], "add up to 1.2, more than 1"),
        ([{"name": "a", "share": 0.1}, {"name": "a"}], "wave 'a' is listed twice"),
    ],
)
def test_a_bad_wave_list_is_named(waves, message):
    with pytest.raises(WaveConfigError, match=message):
        check_wave_list(waves)


def test_the_asset_map_makes_a_group_per_configured_wave(tmp_path):
    (tmp_path / "assets.yml").write_text(yaml.safe_dump([{"name": f"h{i}", "layers": ["os"]} for i in range(20)]))
    source = {"name": "cmdb", "path": "assets.yml"}
    built = AssetMap([source], str(tmp_path), waves={"list": FOUR}).build()
    assert set(built["report"]["waves"]) == {"canary", "pilot", "staged", "full"}
    groups = {group for _name, _vars, host_groups in host_entries(built) for group in host_groups}
    assert {"wave_canary", "wave_pilot", "wave_staged", "wave_full"} <= groups
    with pytest.raises(AssetInputError, match="give either list"):
        AssetMap([source], str(tmp_path), waves={"list": FOUR, "pilot_share": 0.1})
