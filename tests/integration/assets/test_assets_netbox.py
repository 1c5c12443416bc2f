"""The netbox source through the real `ansible-inventory --list`: NetBox (a local server answering with the
recorded NetBox 4.x responses of tests/unit/plugins/plugin_utils/_assets/fixtures/netbox/) merged with a CMDB CSV."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ANSIBLE_INVENTORY = Path(sys.executable).with_name("ansible-inventory")
_FAKE = REPO / "tests" / "unit" / "plugins" / "plugin_utils" / "_assets" / "netbox_fake.py"
_spec = importlib.util.spec_from_file_location("netbox_fake", _FAKE)
netbox_fake = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(netbox_fake)

CSV = """hostname,ip,serial_no,os_name,os_version,tier,team,layers
db-01,10.1.0.21,SN-1003,RHEL,9.4,P1,dba,os
web-01,10.1.0.11,SN-1001,Debian,12,P4,web,os
"""

CONFIG = """plugin: everylayer.patch.assets
sources:
  - name: cmdb
    path: cmdb.csv
    fields: {{name: hostname, address: ip, serial: serial_no, platform.distribution: os_name,
             platform.version: os_version, criticality: tier, owner: team}}
    values: {{criticality: {{P1: critical, P4: low}}}}
  - name: netbox
    type: netbox
    url: {url}
    filters: {{status: active, tag: patch-managed}}
"""


def inventory(tmp_path, url, token=netbox_fake.TOKEN, extra=""):
    if not (tmp_path / "cmdb.csv").exists():  # rewriting it would change its mtime: a cache miss
        (tmp_path / "cmdb.csv").write_text(CSV)
    config = tmp_path / "netbox.assets.yml"
    config.write_text(CONFIG.format(url=url) + extra)
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
        "NETBOX_TOKEN": token,
        "NO_PROXY": "127.0.0.1,localhost",  # requests honours HTTP(S)_PROXY; the fake NetBox is local
    }
    return subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(config), "--list"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )


def plain(value):
    """The value without ansible-inventory's ``{"__ansible_unsafe": ...}`` wrappers."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def test_netbox_merged_with_csv(tmp_path):
    with netbox_fake.FakeNetbox() as nb:
        done = inventory(tmp_path, nb.url)
    assert done.returncode == 0, done.stderr
    assert netbox_fake.TOKEN not in done.stdout + done.stderr
    data = plain(json.loads(done.stdout))
    hostvars = data["_meta"]["hostvars"]
    sent = {"status": ["active"], "tag": ["patch-managed"]}
    assert {"limit": ["8"], "offset": ["5"], **sent} in nb.queries("/api/dcim/devices/")
    assert {auth for _, _, auth in nb.requests} == {f"Token {netbox_fake.TOKEN}"}

    # CSV and NetBox assets side by side; db-01 is in both (same name and serial): one host, both sources.
    assert {"web-01", "db-01", "core-sw-01", "edge-rtr-01", "app-01", "stor-01"} <= set(hostvars)
    db = hostvars["db-01"]
    assert db["asset"]["sources"] == ["cmdb", "netbox"]
    assert db["asset"]["layers"] == ["os", "firmware"]
    assert db["asset"]["platform"] == {"distribution": "rhel", "version": "9.4", "bmc_vendor": "dell"}
    assert db["ansible_host"] == "10.1.0.21"
    assert db["everylayer_bmc_baseuri"] == "https://10.99.1.21"
    # The conflicts: the CMDB wins (listed first); NetBox's values are listed, not dropped.
    conflicts = {item["field"]: item for item in db["asset_conflicts"]}
    assert conflicts["owner"] == {
        "field": "owner",
        "value": "dba",
        "source": "cmdb",
        "overridden": [{"source": "netbox", "value": "dba-team"}],
    }
    assert conflicts["platform.version"]["overridden"] == [{"source": "netbox", "value": "9"}]
    report = hostvars["web-01"]["assets_report"]
    assert report["sources"] == {"cmdb": 2, "netbox": 10}
    assert report["conflicting_assets"] == 1
    assert "conflicting value(s)" in done.stderr

    core = hostvars["core-sw-01"]
    assert core["ansible_host"] == "10.10.0.11"
    assert core["asset"]["platform"] == {"network_os": "arista_eos"}
    assert core["netbox_site"] == "dc1-fra"
    assert set(data["layer_network"]["hosts"]) == {"core-sw-01", "dist-sw-02", "edge-rtr-01", "access-sw-07"}
    assert data["platform_arista_eos"]["hosts"] == ["core-sw-01"]
    assert data["platform_juniper_junos"]["hosts"] == ["edge-rtr-01"]
    assert set(data["layer_firmware"]["hosts"]) == {"db-01", "stor-01"}
    assert "app-01" in data["platform_ubuntu"]["hosts"]
    assert "win-app-02" in data["layer_windows"]["hosts"]
    assert "stor-01" in data["wave_pilot"]["hosts"]


@pytest.mark.parametrize("mode", ["forbidden", "html"])
def test_netbox_errors_fail_the_source_without_the_token(tmp_path, mode):
    with netbox_fake.FakeNetbox(mode=mode) as nb:
        done = inventory(tmp_path, nb.url)
    assert done.returncode != 0
    assert netbox_fake.TOKEN not in done.stdout + done.stderr
    flat = " ".join(done.stderr.split())
    assert f"sources[2] netbox ({nb.url}): reading dcim/devices:" in flat
    assert ("HTTP 403 Forbidden" if mode == "forbidden" else "is not JSON") in flat


def test_cached_map_is_reused_while_netbox_is_unchanged(tmp_path):
    cache = f"cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: {tmp_path / 'cache'}\n"
    with netbox_fake.FakeNetbox() as nb:
        first = inventory(tmp_path, nb.url, extra=cache)
        assert first.returncode == 0, first.stderr
        listed = [query for _, query, _ in nb.requests if "ordering" not in query]
        assert len(listed) == 3  # two pages of devices, one of VMs
        nb.requests.clear()
        second = inventory(tmp_path, nb.url, extra=cache)
    assert second.returncode == 0, second.stderr
    # Only the fingerprint probes (newest last_updated and count per endpoint): the map came from the cache.
    assert [(path, query["ordering"]) for path, query, _ in nb.requests] == [
        ("/api/dcim/devices/", ["-last_updated"]),
        ("/api/virtualization/virtual-machines/", ["-last_updated"]),
    ]
    assert json.loads(second.stdout) == json.loads(first.stdout)
    assert netbox_fake.TOKEN not in "".join(path.read_text() for path in (tmp_path / "cache").iterdir())
