"""The assets inventory plugin through the real ansible-inventory: groups, constructed options, errors, cache."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
ANSIBLE_INVENTORY = Path(sys.executable).with_name("ansible-inventory")

CSV = """hostname,ip,port,os,crit,team,window,layers,wave
web-01,10.0.0.1,22,debian,low,web,sun-02,os,
web-02,10.0.0.2,22,debian,high,web,sun-02,os;firmware,
sw-01,10.0.1.1,22,,critical,net,sat-22,network,staged
"""
YAML = """- name: web-01
  owner: web-platform
  components: {openssl: 3.0.11}
- name: sw-01
  platform: {network_os: ios}
  exposure: internet
"""
CONFIG = """plugin: everylayer.patch.assets
sources:
  - name: overlay
    path: overlay.yml
  - name: cmdb
    path: cmdb.csv
    fields: {name: hostname, address: ip, platform.distribution: os, criticality: crit, owner: team,
             maintenance_window: window}
"""


def run_inventory(config, *args, env=None, check=True):
    environ = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), **(env or {})}
    done = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(config), "--list", *args],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        cwd=config.parent,
    )
    if check:
        assert done.returncode == 0, done.stderr
        assert "Unable to parse" not in done.stderr, done.stderr
    return done


def listing(config, extra="", **kwargs):
    path = config if isinstance(config, Path) else None
    if path is None:
        raise TypeError("config must be a Path")
    if extra:
        path.write_text(CONFIG + extra)
    return json.loads(run_inventory(path, **kwargs).stdout)


@pytest.fixture
def estate(tmp_path):
    (tmp_path / "cmdb.csv").write_text(CSV)
    (tmp_path / "overlay.yml").write_text(YAML)
    config = tmp_path / "assets.yml"
    config.write_text(CONFIG)
    return config


def unsafe(value):
    """ansible-inventory prints untrusted strings as {"__ansible_unsafe": ...}; unwrap them for comparisons."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: unsafe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unsafe(item) for item in value]
    return value


def test_groups_vars_and_conflicts(estate):
    data = unsafe(listing(estate))
    hostvars = data["_meta"]["hostvars"]
    assert hostvars["web-01"]["asset"]["owner"] == "web-platform"
    assert hostvars["web-01"]["asset_conflicts"] == [
        {
            "field": "owner",
            "value": "web-platform",
            "source": "overlay",
            "overridden": [{"source": "cmdb", "value": "web"}],
        }
    ]
    assert hostvars["web-01"]["ansible_host"] == "10.0.0.1"
    assert hostvars["web-01"]["assets_report"]["conflicts"] == 1
    assert data["layer_network"]["hosts"] == ["sw-01"]
    assert sorted(data["layer_os"]["hosts"]) == ["web-01", "web-02"]
    assert data["platform_ios"]["hosts"] == ["sw-01"]
    assert data["criticality_critical"]["hosts"] == ["sw-01"]
    assert data["wave_staged"]["hosts"] == ["sw-01"]
    assert data["wave_pilot"]["hosts"] == ["web-01"]
    assert data["window_sun_02"]["hosts"] == ["web-01", "web-02"]


def test_integer_keyed_group_key_does_not_abort_the_source(estate):
    data = listing(
        estate,
        "strict: false\nkeyed_groups:\n  - {key: asset.port, prefix: port}\n"
        "  - {key: asset.components | length, prefix: ncomp}\n",
    )
    assert sorted(data["port_22"]["hosts"]) == ["sw-01", "web-01", "web-02"]
    assert data["ncomp_1"]["hosts"] == ["web-01"]
    assert sorted(data["ncomp_0"]["hosts"]) == ["sw-01", "web-02"]


def test_compose_feeds_groups_and_keyed_groups(estate):
    extra = (
        "compose:\n  tier: \"'gold' if asset.criticality in ['high', 'critical'] else 'bronze'\"\n"
        "groups:\n  gold: tier == 'gold'\n"
        "keyed_groups:\n  - {key: tier, prefix: tier}\n"
    )
    data = listing(estate, extra)
    assert sorted(data["gold"]["hosts"]) == ["sw-01", "web-02"]
    assert data["tier_bronze"]["hosts"] == ["web-01"]
    assert unsafe(data["_meta"]["hostvars"]["web-02"]["tier"]) == "gold"


def test_strict_makes_a_failing_expression_fatal(estate):
    extra = "compose:\n  broken: asset.no_such_key.deeper\n"
    data = listing(estate, "strict: false\n" + extra)
    assert "broken" not in data["_meta"]["hostvars"]["web-01"]
    estate.write_text(CONFIG + "strict: true\n" + extra)
    done = run_inventory(estate, env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}, check=False)
    assert done.returncode != 0
    assert "Could not set broken for host" in done.stderr


def test_bad_input_fails_with_file_and_line(estate):
    (estate.parent / "cmdb.csv").write_text(CSV + "web-03,10.0.0.3,22,debian,urgent,web,sun-02,os,\n")
    done = run_inventory(estate, env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}, check=False)
    assert done.returncode != 0
    assert "cmdb.csv line 5 (row 4): criticality 'urgent' is not one of low, medium, high, critical" in done.stderr


def test_unknown_column_warns_once(estate):
    (estate.parent / "cmdb.csv").write_text(
        CSV.replace("wave\n", "wave,colour\n").replace(",\n", ",,red\n").replace("staged\n", "staged,blue\n")
    )
    done = run_inventory(estate)
    assert done.stderr.count("unknown column/field 'colour' in cmdb.csv") == 1


def test_other_file_names_are_not_claimed(tmp_path, estate):
    other = tmp_path / "inventory.yml"
    other.write_text(CONFIG)
    done = run_inventory(other, check=False)
    assert "Unable to parse" in done.stderr


def test_cache_is_used_until_a_source_changes(estate):
    cache_dir = estate.parent / "cache"
    estate.write_text(CONFIG + f"cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: {cache_dir}\n")
    first = unsafe(json.loads(run_inventory(estate).stdout))
    assert first["_meta"]["hostvars"]["web-02"]["asset"]["owner"] == "web"
    [cache_file] = cache_dir.iterdir()
    outer = json.loads(cache_file.read_text())
    cached = json.loads(outer["__payload__"]) if "__payload__" in outer else outer  # ansible-core 2.19 wraps it
    for host in cached["hosts"]:
        if host[0] == "web-02":
            host[2][cached["asset_fields"].index("owner")] = "from-the-cache"
    if "__payload__" in outer:
        outer["__payload__"] = json.dumps(cached)
    else:
        outer = cached
    cache_file.write_text(json.dumps(outer))
    second = unsafe(json.loads(run_inventory(estate).stdout))
    assert second["_meta"]["hostvars"]["web-02"]["asset"]["owner"] == "from-the-cache"
    csv_path = estate.parent / "cmdb.csv"
    csv_path.write_text(csv_path.read_text() + "web-04,10.0.0.4,22,debian,low,web,sun-02,os,\n")
    third = unsafe(json.loads(run_inventory(estate).stdout))
    assert third["_meta"]["hostvars"]["web-02"]["asset"]["owner"] == "web"
    assert "web-04" in third["_meta"]["hostvars"]
