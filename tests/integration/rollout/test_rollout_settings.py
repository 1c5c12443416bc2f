"""Where the rollout's settings come from, and what it refuses before it touches a host (no lab host is needed:
every run here stops in the plan, on the controller).

The defaults live in the everylayer.patch.rollout role (role-defaults precedence), so an inventory variable - an
AWX inventory variable is one - overrides them and is validated like any other value.
"""

import json

import yaml
from rollout_lab import approval, evidence, run_playbook

PLAN_ONLY = {"change_id": "CHG-SETTINGS-1", "rollout_approval": approval("CHG-SETTINGS-1")}


def inventory(path, all_vars=None, groups=None):
    hosts = {"h1": {"ansible_connection": "local"}, "h2": {"ansible_connection": "local"}}
    children = {name: {"hosts": {host: {} for host in members}} for name, members in (groups or {}).items()}
    data = {"all": {"hosts": hosts, "vars": all_vars or {}, "children": children}}
    path.write_text(yaml.safe_dump(data))
    return path


def test_an_inventory_variable_overrides_the_rollout_default_and_is_validated(tmp_path):
    inv = inventory(tmp_path / "hosts.yml", {"rollout_waves": "bogus"}, {"wave_pilot": ["h1"]})
    run = run_playbook("rollout.yml", inv, tmp_path / "evidence.sqlite", PLAN_ONLY)
    assert run.returncode != 0
    out = run.stdout + run.stderr
    assert "Elements value for option 'rollout_waves' is of type str" in out
    assert "Wave pilot" not in out  # refused in the plan: no wave play ran


def test_waves_from_the_inventory_replace_the_default_ones(tmp_path):
    waves = [{"name": "ring0", "hosts": "ring0"}, {"name": "ring1", "hosts": "nowhere"}]
    inv = inventory(tmp_path / "hosts.yml", {"rollout_waves": waves}, {"ring0": ["h1"]})
    run = run_playbook("rollout.yml", inv, tmp_path / "evidence.sqlite", PLAN_ONLY)
    assert run.returncode != 0
    assert "wave ring1: its host pattern 'nowhere' matches no host of the inventory" in run.stdout


def test_a_rollout_whose_waves_match_no_host_fails_naming_the_pattern(tmp_path):
    inv = inventory(tmp_path / "hosts.yml")  # no wave groups at all
    run = run_playbook("rollout.yml", inv, tmp_path / "evidence.sqlite", PLAN_ONLY)
    assert run.returncode != 0
    assert "wave pilot: its host pattern 'wave_pilot' matches no host" in run.stdout
    assert "rollout_allow_empty: true" in run.stdout


def test_a_malformed_wave_is_named(tmp_path):
    waves = [{"name": "pilot", "serial": "all"}]
    inv = inventory(tmp_path / "hosts.yml", {"rollout_waves": waves}, {"wave_pilot": ["h1"]})
    run = run_playbook("rollout.yml", inv, tmp_path / "evidence.sqlite", PLAN_ONLY)
    assert run.returncode != 0
    assert "rollout_waves[0] (pilot).serial: 'all' is not a batch size" in run.stdout


def test_an_empty_or_malformed_manifest_file_is_refused(tmp_path):
    inv = inventory(tmp_path / "hosts.yml", groups={"wave_staged": ["h1"]})
    for content, words in (({"manifest": {}}, "the manifest is empty"), ([1], "expected an object")):
        manifest = tmp_path / "manifest.json"
        manifest.write_text(json.dumps(content))
        extra = dict(PLAN_ONLY, rollout_run_waves="staged", rollout_manifest_file=str(manifest))
        run = run_playbook("rollout.yml", inv, tmp_path / "evidence.sqlite", extra)
        assert run.returncode != 0
        assert f"rollout_manifest_file {manifest}" in run.stdout and words in run.stdout


def test_the_plan_is_recorded_under_the_callbacks_run_id(tmp_path):
    """One run id: the callback's (taken by the preflight) names the plan's run and the manifest."""
    inv = inventory(tmp_path / "hosts.yml", groups={"wave_pilot": ["h1"]})
    store = tmp_path / "evidence.sqlite"
    extra = dict(PLAN_ONLY, everylayer_run_id="run-settings-1", rollout_run_waves="pilot", rollout_allow_empty=True)
    extra["rollout_waves"] = [{"name": "pilot", "hosts": "wave_pilot:!h1"}]  # plan a wave of no host, then stop
    run = run_playbook("rollout.yml", inv, store, extra)
    assert run.returncode == 0, run.stdout[-3000:]
    assert {r["run_id"] for r in evidence(store)} == {"run-settings-1"}


def test_a_scan_that_finds_no_host_fails_naming_the_pattern(tmp_path):
    inv = inventory(tmp_path / "hosts.yml", groups={"wave_pilot": ["h1"]})  # no host has a layer: no layer_os
    run = run_playbook("scan.yml", inv, tmp_path / "evidence.sqlite", {"scan_report_dir": str(tmp_path / "scans")})
    assert run.returncode != 0
    assert "scan: the host pattern 'layer_os:layer_windows' matches no host of the inventory" in run.stdout
    assert not (tmp_path / "scans").exists()
