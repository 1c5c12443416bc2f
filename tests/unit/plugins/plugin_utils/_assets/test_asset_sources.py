"""Sources and readers: CSV/YAML/JSON files, globs, optional files, inventories, the lab, and bad input."""

import json

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.record import AssetInputError, normalize
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.sources import build_sources


def read_all(specs, basedir):
    rows = []
    for source in build_sources(specs, str(basedir)):
        rows.extend((source.name, normalize(raw, where)) for raw, where in source.read())
    return rows


def error_of(specs, basedir):
    with pytest.raises(AssetInputError) as caught:
        read_all(specs, basedir)
    return str(caught.value)


def test_csv_with_field_mapping_values_and_defaults(tmp_path):
    (tmp_path / "cmdb.csv").write_text(
        "hostname,ip,tier,os,os_ver,comps,login\nweb-01,10.0.0.1,P1,Debian,12,openssl=3.0.11,admin\n"
    )
    spec = {
        "name": "cmdb",
        "path": "cmdb.csv",
        "fields": {
            "name": "hostname",
            "address": "ip",
            "criticality": "tier",
            "platform.distribution": "os",
            "platform.version": "os_ver",
            "components": "comps",
            "vars.ansible_user": "login",
        },
        "values": {"criticality": {"P1": "critical"}},
        "defaults": {"environment": "prod", "layers": ["os"]},
    }
    [(source, record)] = read_all([spec], tmp_path)
    assert source == "cmdb"
    assert record == {
        "name": "web-01",
        "address": "10.0.0.1",
        "criticality": "critical",
        "platform": {"distribution": "debian", "version": "12"},
        "components": {"openssl": "3.0.11"},
        "vars": {"ansible_user": "admin"},
        "environment": "prod",
        "layers": ["os"],
    }


def test_unknown_column_is_reported_once_per_source(tmp_path):
    (tmp_path / "a.csv").write_text("name,colour,owner\nx,red,o\ny,blue,o\n")
    (tmp_path / "b.csv").write_text("name,colour\nz,red\n")
    sources = build_sources([{"name": "cmdb", "path": "*.csv", "ignore": ["owner_team"]}], str(tmp_path))
    rows = list(sources[0].read())
    assert len(rows) == 3
    assert sources[0].fieldmap.unknown == {"colour": str(tmp_path / "a.csv")}


def test_ignored_column_is_not_reported(tmp_path):
    (tmp_path / "a.csv").write_text("name,colour\nx,red\n")
    sources = build_sources([{"name": "cmdb", "path": "a.csv", "ignore": ["colour"]}], str(tmp_path))
    list(sources[0].read())
    assert not sources[0].fieldmap.unknown


def test_glob_reads_files_in_sorted_order(tmp_path):
    (tmp_path / "b.yml").write_text("- name: b\n")
    (tmp_path / "a.json").write_text(json.dumps({"assets": [{"name": "a"}]}))
    rows = read_all([{"name": "exports", "path": "[ab].*"}], tmp_path)
    assert [record["name"] for _, record in rows] == ["a", "b"]


def test_missing_file_is_an_error_unless_optional(tmp_path):
    message = error_of([{"name": "cmdb", "path": "missing.csv"}], tmp_path)
    assert message == (
        f"source cmdb: {tmp_path / 'missing.csv'} does not exist (set optional: true if it may be absent)"
    )
    assert "does not exist" in error_of([{"name": "cmdb", "path": "none-*.csv"}], tmp_path)
    assert read_all([{"name": "cmdb", "path": "missing.csv", "optional": True}], tmp_path) == []


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("short.csv", "name,owner\na,o\nb\n", "short.csv line 3 (row 2): 1 fields, the header has 2"),
        ("long.csv", "name,owner\na,o,extra\n", "long.csv line 2 (row 1): 3 fields, the header has 2"),
        ("quote.csv", 'name,owner\na,"o\n', "quote.csv line 2: unexpected end of data"),
        ("dup.csv", "name,name\na,b\n", "dup.csv line 1: duplicate column(s) name"),
        ("blank.csv", "name,,owner\na,b,c\n", "blank.csv line 1: column 2 of the header has no name"),
        ("crit.csv", "name,criticality\na,low\nb,urgent\n", "crit.csv line 3 (row 2): criticality 'urgent' is not"),
        ("syntax.yml", "- name: a\n- name: [b\n", "syntax.yml line 3: invalid YAML"),
        ("scalar.yml", "- name: a\n- just a string\n", "scalar.yml line 2 (row 2): an asset must be a mapping"),
        ("badval.yml", "- name: a\n-\n  name: b\n  wave: ring-0\n", "badval.yml line 3 (row 2): wave 'ring-0' is not"),
        ("shape.yml", "name: a\n", "shape.yml: expected a list of assets, or a mapping with an 'assets' list"),
        ("syntax.json", '[{"name": "a"},\n {"name": }]', "syntax.json line 2: invalid JSON: Expecting value"),
        ("badval.json", '[{"name": "a"},\n {"name": "b", "port": "x"}]', "badval.json line 2 (row 2): port 'x' is not"),
        ("noname.json", '{"assets": [{"owner": "o"}]}', "noname.json line 1 (row 1): the asset has no name"),
    ],
)
def test_bad_input_names_file_line_and_problem(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    error = error_of([{"name": "src", "path": name}], tmp_path)
    assert error.startswith(str(tmp_path / name))
    assert message in error


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([], "sources: give at least one source"),
        (["cmdb.csv"], "sources[1]: must be a mapping"),
        ([{"name": "x", "type": "cloud"}], "sources[1]: type 'cloud' is not one of file, lab, inventory, netbox"),
        ([{"name": "x", "path": "a.csv"}, {"name": "x", "path": "b.csv"}], "sources[2]: the name 'x' is used twice"),
        ([{"name": "x", "path": "a.csv", "colour": 1}], "source x: unknown option(s) colour"),
        ([{"name": "x", "path": "a.txt", "format": "xml"}], "source x: format 'xml' is not one of csv, yaml, json"),
        ([{"name": "x", "path": "a.csv", "fields": {"colour": "c"}}], "source x: fields: 'colour' is not a record"),
        ([{"name": "x", "path": "a.csv", "fields": ["name"]}], "source x: fields must be a mapping"),
    ],
)
def test_bad_source_configuration(tmp_path, specs, message):
    assert message in error_of(specs, tmp_path)


def test_unknown_extension_needs_a_format(tmp_path):
    (tmp_path / "a.txt").write_text("name\na\n")
    assert "cannot tell the format" in error_of([{"name": "x", "path": "a.txt"}], tmp_path)
    assert read_all([{"name": "x", "path": "a.txt", "format": "csv"}], tmp_path)[0][1] == {"name": "a"}


def test_inventory_source_folds_in_ansible_inventory_list_output(tmp_path):
    listing = {
        "_meta": {
            "hostvars": {
                "db-01": {"ansible_host": "10.0.0.5", "tier": "high", "ansible_user": "dba"},
                "web-01": {"asset": {"name": "web-01", "owner": "web", "wave_origin": "computed"}},
            }
        },
        "all": {"children": ["ungrouped", "db"]},
        "db": {"hosts": ["db-01"]},
        "ungrouped": {"hosts": ["web-01", "bare"]},
    }
    (tmp_path / "legacy.json").write_text(json.dumps(listing))
    rows = read_all(
        [{"name": "legacy", "type": "inventory", "path": "legacy.json", "fields": {"criticality": "tier"}}], tmp_path
    )
    assert [record for _, record in rows] == [
        {
            "name": "db-01",
            "address": "10.0.0.5",
            "criticality": "high",
            "vars": {"ansible_user": "dba"},
        },
        {"name": "web-01", "owner": "web"},
        {"name": "bare"},
    ]


def test_inventory_source_rejects_other_json(tmp_path):
    (tmp_path / "x.json").write_text('{"_meta": {"hostvars": []}}')
    assert "not the output of ansible-inventory --list" in error_of(
        [{"name": "legacy", "type": "inventory", "path": "x.json"}], tmp_path
    )


def test_lab_source_reads_generated_lab_json(tmp_path):
    (tmp_path / "generated").mkdir()
    lab = {
        "lab": {"name": "everylayer-lab"},
        "assets": [
            {
                "name": "lab-apt-01",
                "address": "127.0.0.1",
                "port": 2201,
                "layers": ["os"],
                "platform": {"distribution": "debian", "version": "12", "package_manager": "apt"},
                "criticality": "low",
                "exposure": "internal",
                "owner": "lab",
                "environment": "lab",
                "maintenance_window": "any",
                "wave": None,
                "vars": {"ansible_host": "127.0.0.1", "ansible_port": 2201},
            }
        ],
    }
    (tmp_path / "generated" / "lab.json").write_text(json.dumps(lab))
    [(source, record)] = read_all([{"name": "lab", "type": "lab"}], tmp_path)
    assert source == "lab"
    assert record["platform"] == {"distribution": "debian", "version": "12", "package_manager": "apt"}
    assert record["port"] == 2201
    assert "wave" not in record
