"""Merging by identity, precedence and the conflict report."""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.errors import AssetInputError, Location
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.merge import merge


def stream(name, *records):
    return name, [(record, Location(f"{name}.yml", None, index)) for index, record in enumerate(records, 1)]


def test_first_source_wins_and_every_difference_is_a_conflict():
    assets, notes = merge(
        [
            stream("cmdb", {"name": "web-01", "owner": "web", "criticality": "high", "platform": {"version": "12"}}),
            stream(
                "facts", {"name": "web-01", "owner": "ops", "platform": {"version": "11", "distribution": "debian"}}
            ),
            stream("old", {"name": "web-01", "owner": "legacy", "environment": "prod", "criticality": "high"}),
        ]
    )
    assert notes == []
    [asset] = assets
    assert asset.record == {
        "name": "web-01",
        "owner": "web",
        "criticality": "high",
        "platform": {"version": "12", "distribution": "debian"},
        "environment": "prod",
    }
    assert asset.sources == ["cmdb", "facts", "old"]
    assert list(asset.conflicts.values()) == [
        {
            "field": "owner",
            "value": "web",
            "source": "cmdb",
            "overridden": [{"source": "facts", "value": "ops"}, {"source": "old", "value": "legacy"}],
        },
        {
            "field": "platform.version",
            "value": "12",
            "source": "cmdb",
            "overridden": [{"source": "facts", "value": "11"}],
        },
    ]


def test_value_filled_by_lower_source_is_attributed_to_it():
    assets, _ = merge(
        [stream("a", {"name": "x"}), stream("b", {"name": "x", "owner": "o"}), stream("c", {"name": "x", "owner": "p"})]
    )
    assert assets[0].conflicts["owner"]["source"] == "b"


def test_identity_by_alias_and_serial_case_insensitive():
    assets, _ = merge(
        [
            stream("cmdb", {"name": "web-01", "aliases": ["www"], "serial": "SN1"}, {"name": "db-01"}),
            stream("dns", {"name": "WWW", "address": "10.0.0.1"}),
            stream("bmc", {"name": "web01-idrac", "serial": "SN1", "layers": ["firmware"]}),
        ]
    )
    assert [asset.record["name"] for asset in assets] == ["web-01", "db-01"]
    web = assets[0].record
    assert web["aliases"] == ["www", "WWW", "web01-idrac"]
    assert web["address"] == "10.0.0.1"
    assert web["layers"] == ["firmware"]


def test_lists_are_unions_and_components_merge_per_component():
    assets, _ = merge(
        [
            stream("a", {"name": "x", "layers": ["os"], "components": {"openssl": "3.0.11"}}),
            stream("b", {"name": "x", "layers": ["firmware", "os"], "components": {"openssl": "3.0.9", "bios": "2.1"}}),
        ]
    )
    record = assets[0].record
    assert record["layers"] == ["os", "firmware"]
    assert record["components"] == {"openssl": "3.0.11", "bios": "2.1"}
    assert list(assets[0].conflicts) == ["components.openssl"]


def test_address_is_not_an_identity_unless_asked():
    records = [stream("a", {"name": "x", "address": "127.0.0.1"}), stream("b", {"name": "y", "address": "127.0.0.1"})]
    assert len(merge(records)[0]) == 2
    assert len(merge(records, identity=("name", "address"))[0]) == 1


def test_record_matching_two_assets_is_merged_into_the_first_and_noted():
    assets, notes = merge(
        [
            stream("a", {"name": "x", "serial": "S1"}, {"name": "y", "serial": "S2"}),
            stream("b", {"name": "x", "serial": "S2"}),
        ]
    )
    assert len(assets) == 2
    assert notes == ["b.yml record 1: 'x' matches 'x' and also y; merged into 'x'"]
    assert assets[0].conflicts["serial"]["overridden"] == [{"source": "b", "value": "S2"}]


def test_same_asset_twice_in_one_source_is_an_error():
    with pytest.raises(AssetInputError) as caught:
        merge([stream("cmdb", {"name": "x"}, {"name": "X"})])
    assert (
        str(caught.value)
        == "cmdb.yml record 2: 'X' is the same asset as 'x', already read from source cmdb at cmdb.yml record 1"
    )


def test_merge_is_independent_of_hash_seed_order():
    records = [{"name": f"h{i}", "owner": "o"} for i in range(50)]
    assets, _ = merge([stream("a", *records)])
    assert [asset.record["name"] for asset in assets] == [f"h{i}" for i in range(50)]
