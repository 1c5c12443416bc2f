"""The netbox source: real HTTP(S) requests by pynetbox to a local server answering with recorded NetBox 4.x
responses (fixtures/netbox/, served by netbox_fake.py), and the mapping of NetBox objects to asset records."""

import socket
import sys

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets import netbox
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.record import AssetInputError, normalize
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.sources import build_sources
from netbox_fake import TOKEN, FakeNetbox, recorded_pages, self_signed

DEVICES = "/api/dcim/devices/"
VMS = "/api/virtualization/virtual-machines/"


@pytest.fixture(autouse=True)
def _no_proxy_for_the_local_server(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def records(specs, basedir):
    out = {}
    for source in build_sources(specs, str(basedir)):
        for raw, where in source.read():
            out[raw["name"]] = normalize(raw, where)
    return out


def spec(url, **extra):
    return {"name": "netbox", "type": "netbox", "url": url, "token": TOKEN} | extra


def error_of(specs, basedir, call="read"):
    with pytest.raises(AssetInputError) as caught:
        for source in build_sources(specs, str(basedir)):
            list(source.read()) if call == "read" else source.fingerprint()
    message = str(caught.value)
    assert TOKEN not in message
    return message


def test_recorded_devices_span_two_pages():
    pages = recorded_pages("dcim/devices")
    assert len(pages) == 2
    assert pages[0]["next"] and not pages[1]["next"]
    assert pages[0]["count"] == sum(len(page["results"]) for page in pages)


def test_devices_and_vms_over_real_http(tmp_path):
    filters = {"site": ["dc1-fra", "dc2-ams"], "status": "active", "tag": "patch-managed"}
    with FakeNetbox() as nb:
        got = records([spec(nb.url, filters=filters)], tmp_path)
    # Every request carried the token header and the filters; devices came in two pages (pynetbox paging).
    assert {auth for _, _, auth in nb.requests} == {f"Token {TOKEN}"}
    sent = {"site": ["dc1-fra", "dc2-ams"], "status": ["active"], "tag": ["patch-managed"]}
    device_queries = nb.queries(DEVICES)
    assert device_queries == [{**sent, "limit": ["0"]}, {**sent, "limit": ["8"], "offset": ["5"]}]
    assert nb.queries(VMS) == [{**sent, "limit": ["0"]}]
    # 8 devices (one unnamed: skipped) + 3 VMs.
    assert sorted(got) == sorted(
        ["core-sw-01", "dist-sw-02", "edge-rtr-01", "db-01", "access-sw-07", "stor-01", "patch-panel-03"]
        + ["app-01", "win-app-02", "build-03"]
    )
    assert got["core-sw-01"] == {
        "name": "core-sw-01",
        "serial": "JPE21140123",
        "address": "10.10.0.11",
        "criticality": "high",
        "exposure": "internal",
        "maintenance_window": "sat 22:00",
        "owner": "netops",
        "platform": {"network_os": "arista_eos"},
        "layers": ["network"],
        "vars": {
            "netbox_id": 101,
            "netbox_status": "active",
            "netbox_role": "core-switch",
            "netbox_site": "dc1-fra",
            "netbox_tenant": "network-engineering",
            "netbox_tags": ["patch-managed", "core"],
        },
    }
    # IPv6 primary address, prefix length stripped; explicit wave; owner falls back to the tenant.
    assert got["dist-sw-02"]["address"] == "2001:db8:10::12"
    assert got["dist-sw-02"]["wave"] == "staged"
    assert got["dist-sw-02"]["owner"] == "network-engineering"
    assert got["edge-rtr-01"]["platform"] == {"network_os": "juniper_junos"}
    assert got["edge-rtr-01"]["exposure"] == "internet"
    # A device without a primary IP: no address, still an asset.
    assert "address" not in got["access-sw-07"]
    assert got["access-sw-07"]["platform"] == {"network_os": "cisco_ios"}
    # A server with an OOB IP: os + firmware, the BMC's URL and vendor.
    assert got["db-01"]["layers"] == ["os", "firmware"]
    assert got["db-01"]["platform"] == {"distribution": "rhel", "version": "9", "bmc_vendor": "dell"}
    assert got["db-01"]["vars"]["everylayer_bmc_baseuri"] == "https://10.99.1.21"
    assert "everylayer_firmware_backend" not in got["db-01"]["vars"]
    # Platform-less device with only an OOB IP: firmware through Redfish from the controller.
    assert got["stor-01"]["layers"] == ["firmware"]
    assert got["stor-01"]["platform"] == {"bmc_vendor": "supermicro"}
    assert got["stor-01"]["vars"]["everylayer_firmware_backend"] == "redfish"
    assert got["stor-01"]["vars"]["ansible_connection"] == "local"
    # Platform-less device without any IP: no layers, no platform.
    assert "layers" not in got["patch-panel-03"] and "platform" not in got["patch-panel-03"]
    # VMs: layer os (windows for a Windows platform), also without a platform.
    assert got["app-01"]["platform"] == {"distribution": "ubuntu", "version": "24.04"}
    assert got["app-01"]["layers"] == ["os"]
    assert got["win-app-02"]["layers"] == ["windows"]
    assert got["win-app-02"]["platform"] == {"distribution": "windows_server", "version": "2022"}
    assert got["build-03"]["layers"] == ["os"]


def test_endpoints_fields_values_and_platforms_are_configurable(tmp_path):
    options = {
        "endpoints": ["virtualization/virtual-machines"],
        "filters": {"has_primary_ip": True, "cf_patch_tier": ["P3", "P4"]},
        "fields": {
            "criticality": "custom_fields.patch_tier",
            "owner": None,
            "vars.netbox_cluster": "cluster.name",
        },
        "values": {"criticality": {"P3": "medium", "P4": "low"}},
        "defaults": {"environment": "prod"},
        "platforms": {"ubuntu-24-04": {"distribution": "ubuntu", "version": "24.04", "package_manager": "apt"}},
    }
    with FakeNetbox() as nb:
        got = records([spec(nb.url, **options)], tmp_path)
    assert nb.queries(DEVICES) == []
    assert nb.queries(VMS) == [{"has_primary_ip": ["true"], "cf_patch_tier": ["P3", "P4"], "limit": ["0"]}]
    assert got["app-01"]["criticality"] == "low"
    assert got["win-app-02"]["criticality"] == "medium"
    assert "owner" not in got["app-01"]
    assert got["app-01"]["environment"] == "prod"
    assert got["app-01"]["vars"]["netbox_cluster"] == "vsphere-fra-01"
    assert got["app-01"]["platform"] == {"distribution": "ubuntu", "version": "24.04", "package_manager": "apt"}


def test_oob_firmware_can_be_turned_off(tmp_path):
    with FakeNetbox() as nb:
        got = records([spec(nb.url, oob_firmware=False, endpoints=["dcim/devices"])], tmp_path)
    assert got["db-01"]["layers"] == ["os"]
    assert "everylayer_bmc_baseuri" not in got["db-01"]["vars"]
    assert "layers" not in got["stor-01"]


def test_token_from_environment_and_fingerprint(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBOX_TOKEN", TOKEN)
    with FakeNetbox() as nb:
        [source] = build_sources([{"name": "nb", "type": "netbox", "url": nb.url + "/"}], str(tmp_path))
        first = source.fingerprint()
    assert {auth for _, _, auth in nb.requests} == {f"Token {TOKEN}"}
    assert nb.queries(DEVICES) == [{"ordering": ["-last_updated"], "limit": ["1"], "offset": ["0"]}]
    assert [(count, marks[0]) for _, count, marks in first] == [
        (8, ["2026-11-21T14:30:00.000000Z"]),
        (3, ["2026-11-19T09:15:44.000000Z"]),
    ]
    assert TOKEN not in repr(first)


def test_forbidden_names_source_index_and_url_never_the_token(tmp_path):
    (tmp_path / "cmdb.csv").write_text("name\nweb-01\n")
    with FakeNetbox(mode="forbidden") as nb:
        message = error_of([{"name": "cmdb", "path": "cmdb.csv"}, spec(nb.url)], tmp_path)
    assert message.startswith(f"sources[2] netbox ({nb.url}): reading dcim/devices: HTTP 403 Forbidden")
    assert message.endswith(": Invalid token")


def test_wrong_token_is_403_too(tmp_path):
    with FakeNetbox(token="another-token") as nb:
        message = error_of([spec(nb.url)], tmp_path, call="fingerprint")
    assert "HTTP 403 Forbidden" in message and "sources[1] netbox" in message


def test_non_json_answer(tmp_path):
    with FakeNetbox(mode="html") as nb:
        message = error_of([spec(nb.url)], tmp_path)
    assert message.startswith(f"sources[1] netbox ({nb.url}): reading dcim/devices: the response of /api/dcim/")
    assert "is not JSON" in message


def test_unreachable(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = error_of([spec(f"http://127.0.0.1:{port}", timeout=5)], tmp_path)
    assert message.startswith(
        f"sources[1] netbox (http://127.0.0.1:{port}): reading dcim/devices: NetBox is unreachable"
    )
    assert "Connection refused" in message


def test_https_verifies_certificates_by_default_and_ca_path_works(tmp_path):
    ca, pair = self_signed(tmp_path)
    with FakeNetbox(tls=pair) as nb:
        message = error_of([spec(nb.url)], tmp_path)
        assert "TLS certificate verification failed" in message and "ca_path" in message
        assert nb.requests == []
        got = records([spec(nb.url, ca_path="ca.pem")], tmp_path)  # relative to the config's directory
        assert got["core-sw-01"]["address"] == "10.10.0.11"
        with pytest.warns(Warning, match="Unverified HTTPS request"):
            assert records([spec(nb.url, validate_certs=False)], tmp_path)["app-01"]["layers"] == ["os"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"url": None}, "url is required"),
        ({"colour": "red"}, "unknown option(s) colour"),
        ({"endpoints": ["dcim/sites"]}, "endpoints must be a list of dcim/devices, virtualization/virtual-machines"),
        ({"fields": {"role": "role.slug"}}, "fields: 'role' is not a record field"),
        ({"filters": ["site=x"]}, "filters must be a mapping"),
        ({"platforms": {"eos": "arista_eos"}}, "platforms: eos must be a mapping of platform keys"),
        ({"ca_path": "missing.pem"}, "missing.pem does not exist"),
        ({"timeout": "soon"}, "timeout must be a positive number of seconds"),
    ],
)
def test_bad_configuration(tmp_path, options, expected):
    with pytest.raises(AssetInputError) as caught:
        build_sources([spec("https://netbox.example.com") | options], str(tmp_path))
    assert expected in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_missing_pynetbox_is_named_only_when_a_netbox_source_is_configured(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynetbox", None)  # import pynetbox -> ImportError
    (tmp_path / "cmdb.csv").write_text("name\nweb-01\n")
    assert list(records([{"name": "cmdb", "path": "cmdb.csv"}], tmp_path)) == ["web-01"]
    with pytest.raises(AssetInputError) as caught:
        build_sources([spec("https://netbox.example.com")], str(tmp_path))
    assert "needs the Python package pynetbox" in str(caught.value)


@pytest.mark.parametrize(
    ("slug", "platform", "layer"),
    [
        ("ios", {"network_os": "cisco_ios"}, "network"),
        ("cisco-ios-xe", {"network_os": "cisco_ios"}, "network"),
        ("nxos", {"network_os": "cisco_nxos"}, "network"),
        ("EOS", {"network_os": "arista_eos"}, "network"),
        ("juniper-junos", {"network_os": "juniper_junos"}, "network"),
        ("ubuntu-24-04", {"distribution": "ubuntu", "version": "24.04"}, "os"),
        ("debian_12", {"distribution": "debian", "version": "12"}, "os"),
        ("rhel", {"distribution": "rhel"}, "os"),
        ("windows-server-2022", {"distribution": "windows_server", "version": "2022"}, "windows"),
        (None, {}, None),
    ],
)
def test_platform_rule(slug, platform, layer):
    assert netbox.platform_of(slug) == (platform, layer)


def test_platform_table_wins():
    table = {"eos": {"distribution": "eos-linux"}}
    assert netbox.platform_of("eos", table) == ({"distribution": "eos-linux"}, "os")


@pytest.mark.parametrize(
    ("given", "expected"),
    [("10.0.0.1/24", "10.0.0.1"), ("2001:db8::1/64", "2001:db8::1"), ("10.0.0.9", "10.0.0.9"), ("bad/1", "bad")],
)
def test_strip_prefix(given, expected):
    assert netbox.strip_prefix(given) == expected


def test_lookup_reads_nested_objects_lists_and_choices():
    obj = {
        "status": {"value": "active", "label": "Active"},
        "tenant": {"name": "Web Team", "slug": "web-team"},
        "tags": [{"name": "A", "slug": "a"}, {"name": "B", "slug": "b"}],
        "custom_fields": {"owner": {"id": 3, "display": "alice", "name": "alice"}, "empty": None},
    }
    assert netbox.lookup(obj, "status") == "active"
    assert netbox.lookup(obj, "tenant") == "web-team"
    assert netbox.lookup(obj, "tenant.name") == "Web Team"
    assert netbox.lookup(obj, "tags") == ["a", "b"]
    assert netbox.lookup(obj, "tags.name") == ["A", "B"]
    assert netbox.lookup(obj, "custom_fields.owner") == "alice"
    assert netbox.lookup(obj, "custom_fields.empty") is None
    assert netbox.lookup(obj, "missing.deeper") is None


def test_vm_with_network_platform_is_network_and_ipv6_bmc_is_bracketed():
    fields = {key: [value] if isinstance(value, str) else value for key, value in netbox.DEFAULT_FIELDS.items()}
    vm = {"name": "veos-01", "platform": {"slug": "eos"}}
    assert netbox.to_raw(vm, "vm", fields)["layers"] == ["network"]
    server = {"name": "h1", "platform": {"slug": "debian-12"}, "oob_ip": {"address": "2001:db8::5/64"}}
    raw = netbox.to_raw(server, "device", fields)
    assert raw["layers"] == ["os", "firmware"]
    assert raw["vars.everylayer_bmc_baseuri"] == "https://[2001:db8::5]"


def test_bad_value_names_the_netbox_object(tmp_path):
    with FakeNetbox() as nb:
        with pytest.raises(AssetInputError) as caught:
            records([spec(nb.url, fields={"criticality": "status"})], tmp_path)
    assert str(caught.value) == (
        f"{nb.url}/api/dcim/devices/101/ (device): criticality 'active' is not one of low, medium, high, critical"
    )


def test_mapped_platform_keys_win_over_the_rule(tmp_path):
    source = build_sources(
        [spec("https://nb.example", fields={"platform.version": "custom_fields.os"})], str(tmp_path)
    )[0]
    obj = {"id": 5, "name": "h5", "platform": {"slug": "debian-12"}, "custom_fields": {"os": "12.8"}}
    raw = source.fieldmap.from_mapping(netbox.to_raw(obj, "vm", source.fields), None)
    assert normalize(raw, "here")["platform"] == {"distribution": "debian", "version": "12.8"}
