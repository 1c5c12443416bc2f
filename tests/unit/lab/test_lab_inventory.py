"""Rendering of inventories/lab/generated/{hosts.yml,lab.json} from host records (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from lab import config, inventory

KEY = Path("/state/ssh/id_ed25519")
KNOWN = Path("/state/ssh/known_hosts")


def _hosts(count=6):
    plan = config.manager_plan(count)
    names = config.host_names(plan)
    return [
        {"name": n, "manager": m, "port": config.host_port(2200, i), "ordinal": int(n.rsplit("-", 1)[1])}
        for i, (n, m) in enumerate(zip(names, plan, strict=True), start=1)
    ]


def _assets(count=6):
    return [inventory.host_asset(h, KEY, KNOWN, {"ID": "debian", "VERSION_ID": "12"}) for h in _hosts(count)]


def test_asset_shape_and_ssh_vars():
    asset = _assets()[0]
    assert list(asset) == [
        "name",
        "address",
        "port",
        "layers",
        "platform",
        "criticality",
        "exposure",
        "owner",
        "environment",
        "maintenance_window",
        "wave",
        "vars",
    ]
    assert asset["platform"] == {"distribution": "debian", "version": "12", "package_manager": "apt"}
    assert (asset["criticality"], asset["maintenance_window"], asset["wave"]) == ("low", "always", "pilot")
    v = asset["vars"]
    assert v["ansible_port"] == 2201 and v["ansible_python_interpreter"] == "/usr/bin/python3"
    assert "StrictHostKeyChecking=yes" in v["ansible_ssh_common_args"]
    assert f"UserKnownHostsFile={KNOWN}" in v["ansible_ssh_common_args"]


def test_default_lab_has_varied_governance():
    assets = _assets()
    assert {a["criticality"] for a in assets} == {"low", "medium", "critical"}
    assert {a["wave"] for a in assets} == {"pilot", "staged", "full"}
    assert {a["exposure"] for a in assets} == {"internet", "internal"}
    # pilot covers every package manager, so the manifest it freezes has an entry for every staged/full host
    pilot = {a["platform"]["package_manager"] for a in assets if a["wave"] == "pilot"}
    assert pilot == {a["platform"]["package_manager"] for a in assets}
    assert sum(a["wave"] == "staged" for a in assets) == 2  # the demo's staged failure stays inside a 50% budget
    assert {a["criticality"] for a in _assets(12)} == {"low", "medium", "high", "critical"}


def test_fifty_hosts_all_valid():
    assets = _assets(50)
    assert len({a["name"] for a in assets}) == 50
    for a in assets:
        assert a["criticality"] in ("low", "medium", "high", "critical")
        assert a["wave"] in ("pilot", "staged", "full")
        assert a["exposure"] in ("internet", "internal")


def test_render_groups_and_services():
    service_asset = {
        "name": "lab-ios-01",
        "layers": ["network"],
        "platform": {"network_os": "cisco_ios"},
        "vars": {"ansible_host": "127.0.0.1", "ansible_port": 2300},
        "groups": ["ios"],
    }
    inv, lab_json = inventory.render({"state_dir": "/state"}, _assets(), {"netdev": [service_asset]})
    children = inv["all"]["children"]
    assert sorted(children["linux"]["hosts"]) == [h["name"] for h in _hosts()] or len(children["linux"]["hosts"]) == 6
    assert list(children["apt"]["hosts"]) == ["lab-apt-01", "lab-apt-02", "lab-apt-03"]
    assert list(children["dnf"]["hosts"]) == ["lab-dnf-01", "lab-dnf-02"]
    assert list(children["zypper"]["hosts"]) == ["lab-zypper-01"]
    assert list(children["netdev"]["hosts"]) == ["lab-ios-01"] == list(children["ios"]["hosts"])
    assert inv["all"]["hosts"]["lab-ios-01"]["ansible_port"] == 2300
    assert [a["name"] for a in lab_json["assets"]][-1] == "lab-ios-01"
    assert "groups" not in lab_json["assets"][-1]
    assert lab_json["lab"] == {"state_dir": "/state"}


def test_write_files_round_trip(tmp_path):
    inv, lab_json = inventory.render({}, _assets(), {})
    inventory.write_files(tmp_path, inv, lab_json)
    assert yaml.safe_load((tmp_path / "hosts.yml").read_text()) == inv
    assert json.loads((tmp_path / "lab.json").read_text()) == lab_json
    assert not list(tmp_path.glob("*.tmp"))


def test_known_hosts_lines():
    text = inventory.known_hosts_lines([(2201, ["ssh-ed25519 AAAA1", "ssh-rsa BBBB"]), (2202, [])])
    assert text == "[127.0.0.1]:2201 ssh-ed25519 AAAA1\n[127.0.0.1]:2201 ssh-rsa BBBB\n"
    assert inventory.known_hosts_lines([]) == ""
