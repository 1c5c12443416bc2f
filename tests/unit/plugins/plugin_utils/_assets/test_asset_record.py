"""The asset record: normalisation and every bad value, with the message it gives."""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.errors import AssetInputError, Location
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.record import normalize

WHERE = Location("cmdb.csv", 4, 3)


def test_normalize_full_record():
    record = normalize(
        {
            "name": "web-01",
            "aliases": "web-01.example.net; www",
            "serial": "SN1",
            "address": "10.0.0.1",
            "port": "2222",
            "layers": "os,firmware",
            "platform": {"distribution": "Debian", "version": "12"},
            "components": "openssl=3.0.11;kernel=6.1.0",
            "criticality": "HIGH",
            "exposure": "yes",
            "owner": "web-team",
            "environment": "prod",
            "maintenance_window": "sun-02",
            "wave": "Staged",
            "vars": {"ansible_user": "admin"},
        },
        WHERE,
    )
    assert record == {
        "name": "web-01",
        "aliases": ["web-01.example.net", "www"],
        "serial": "SN1",
        "address": "10.0.0.1",
        "port": 2222,
        "layers": ["os", "firmware"],
        "platform": {"distribution": "debian", "version": "12"},
        "components": {"openssl": "3.0.11", "kernel": "6.1.0"},
        "criticality": "high",
        "exposure": "internet",
        "owner": "web-team",
        "environment": "prod",
        "maintenance_window": "sun-02",
        "wave": "staged",
        "vars": {"ansible_user": "admin"},
    }


def test_empty_values_are_left_out():
    assert normalize({"name": "a", "owner": "", "layers": [], "exposure": False, "wave": None}, WHERE) == {
        "name": "a",
        "exposure": "internal",
    }


def test_components_as_list_of_mappings():
    record = normalize({"name": "a", "components": [{"name": "bios", "version": "2.1"}]}, WHERE)
    assert record["components"] == {"bios": "2.1"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"owner": "x"}, "cmdb.csv line 4 (row 3): the asset has no name"),
        ({"name": "web 01"}, "cmdb.csv line 4 (row 3): name 'web 01' contains whitespace"),
        ({"name": "a", "criticality": "urgent"}, "criticality 'urgent' is not one of low, medium, high, critical"),
        ({"name": "a", "wave": "ring 0"}, "wave 'ring 0' is not a wave name"),
        ({"name": "a", "layers": "os;bios"}, "layer 'bios' is not one of os, windows, network, firmware"),
        ({"name": "a", "exposure": "dmz"}, "exposure 'dmz' is not internet/internal"),
        ({"name": "a", "port": "ssh"}, "port 'ssh' is not an integer"),
        ({"name": "a", "port": 70000}, "port 70000 is not between 1 and 65535"),
        ({"name": "a", "components": "openssl"}, "component 'openssl' is not name=version"),
        ({"name": "a", "components": 5}, "components must be a mapping of name to version"),
        ({"name": "a", "platform": "debian"}, "platform must be a mapping"),
        ({"name": "a", "platform": {"os": "debian"}}, "platform key 'os' is not one of"),
        ({"name": "a", "vars": ["x"]}, "vars must be a mapping"),
        ({"name": "a", "owner": {"team": "x"}}, "owner must be a string, got dict"),
        ({"name": "a", "colour": "red"}, "unknown field 'colour'"),
    ],
)
def test_bad_values_name_the_place_and_the_problem(raw, message):
    with pytest.raises(AssetInputError) as caught:
        normalize(raw, WHERE)
    assert str(caught.value).startswith("cmdb.csv line 4 (row 3): ")
    assert message in str(caught.value)


def test_location_forms():
    assert str(Location("a.yml", 7, 2)) == "a.yml line 7 (row 2)"
    assert str(Location("a.yml", None, 2)) == "a.yml record 2"
    assert str(Location("inv.json", None, "host web-01")) == "inv.json host web-01"
    assert str(Location("a.yml")) == "a.yml"
