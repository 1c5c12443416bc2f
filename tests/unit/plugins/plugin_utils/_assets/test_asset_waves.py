"""Wave placement: explicit waves kept, computed ones deterministic, per platform, lowest criticality first."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.waves import (
    WaveConfigError,
    assign_waves,
    stable_hash,
)

CRIT = ["low", "medium", "high", "critical"]


def estate(count=40, platforms=("debian", "rhel", "ios")):
    records = []
    for index in range(count):
        platform = platforms[index % len(platforms)]
        key = "network_os" if platform == "ios" else "distribution"
        records.append({"name": f"h{index:03d}", "platform": {key: platform}, "criticality": CRIT[index * 7 % 4]})
    return records


def waves_of(records, **kwargs):
    return {name: wave for name, (wave, _origin) in assign_waves(records, **kwargs).items()}


def test_pilot_covers_every_platform_even_a_single_host():
    records = estate(30) + [{"name": "lonely", "platform": {"bmc_vendor": "dell"}, "criticality": "critical"}]
    waves = waves_of(records)
    assert waves["lonely"] == "pilot"
    for platform in ("debian", "rhel", "ios"):
        members = [r["name"] for r in records if platform in r["platform"].values()]
        assert any(waves[name] == "pilot" for name in members), platform


def test_shares_per_platform():
    records = estate(300, platforms=("debian",))
    waves = waves_of(records, pilot_share=0.1, staged_share=0.3)
    counts = {wave: list(waves.values()).count(wave) for wave in ("pilot", "staged", "full")}
    assert counts == {"pilot": 30, "staged": 90, "full": 180}


def test_pilot_takes_the_lowest_criticality_first():
    records = estate(100, platforms=("debian",))
    waves = waves_of(records, pilot_share=0.2, staged_share=0.3)
    pilot = [r for r in records if waves[r["name"]] == "pilot"]
    assert {r["criticality"] for r in pilot} == {"low"}
    full = [r for r in records if waves[r["name"]] == "full"]
    assert "critical" in {r["criticality"] for r in full}


def test_explicit_waves_are_kept_and_count_toward_the_quota():
    records = estate(20, platforms=("debian",))
    records[5]["wave"] = "pilot"
    records[6]["wave"] = "full"
    result = assign_waves(records, pilot_share=0.05, staged_share=0.25)
    assert result["h005"] == ("pilot", "explicit")
    assert result["h006"] == ("full", "explicit")
    assert [name for name, (wave, _) in result.items() if wave == "pilot"] == ["h005"]


def test_same_input_any_order_same_waves():
    records = estate(200)
    first = waves_of(records)
    assert waves_of(list(reversed(records))) == first
    assert waves_of(records, seed="other") != first


def test_stable_hash_is_fixed():
    assert stable_hash("web-01").hex() == stable_hash("web-01").hex()
    assert stable_hash("web-01", "s") != stable_hash("web-01")


def test_waves_do_not_depend_on_python_hash_seed():
    program = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.waves import assign_waves\n"
        "recs = [{'name': f'h{i}', 'platform': {'distribution': 'd' + str(i % 3)}, 'criticality': 'low'}"
        " for i in range(300)]\n"
        "print(json.dumps(sorted(assign_waves(recs).items())))\n"
    )
    collections = str(Path(__file__).resolve().parents[5] / ".collections")
    outputs = set()
    for seed in ("0", "1", "12345", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", program, collections], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert len(json.loads(outputs.pop())) == 300


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pilot_share": 1.5}, "waves.pilot_share must be a number between 0 and 1, got 1.5"),
        ({"staged_share": "a"}, "waves.staged_share must be a number between 0 and 1"),
        ({"pilot_share": 0.6, "staged_share": 0.6}, "more than 1"),
    ],
)
def test_bad_shares(kwargs, message):
    with pytest.raises(WaveConfigError) as caught:
        assign_waves(estate(3), **kwargs)
    assert message in str(caught.value)
