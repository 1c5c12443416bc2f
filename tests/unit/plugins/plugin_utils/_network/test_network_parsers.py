"""Parsers against real device captures (fixtures/, see fixtures/SOURCES.md) and their edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._network import NetworkImageError, checks, parsers

FIX = Path(__file__).parents[4] / "fixtures" / "network"


def raw(rel: str) -> str:
    return (FIX / rel).read_bytes().decode("utf-8")


@pytest.mark.parametrize(
    ("rel", "version", "image", "uptime"),
    [
        (
            "cisco_ios/show_version/cisco_ios_show_version.raw",
            "12.2(54)SG1",
            "bootflash:cat4500e-entservicesk9-mz.122-54.SG1.bin",
            ((2 * 365 + 31 * 7 + 6) * 24 + 9) * 3600 + 55 * 60,
        ),
        ("cisco_ios/show_version/cisco_ios_show_version1.raw", "03.06.05E", "flash:packages.conf", None),
        (
            "cisco_ios/show_version/cisco_ios_show_version2.raw",
            "03.09.01.S",
            "bootflash:asr1001-universalk9.03.09.01.S.153-2.S1.bin",
            (24 + 15) * 3600 + 32 * 60,
        ),
        ("cisco_ios/show_version/cisco_ios_show_version3.raw", "15.8(3)M2", "flash0:/vios-adventerprisek9-m", None),
        (
            "cisco_ios/show_version/cisco_ios_show_version6.raw",
            "15.2(4.0.55)E",
            "flash0:/vios_l2-adventerprisek9-m",
            (3 * 7 + 6) * 86400 + 32 * 60,
        ),
        (
            "cisco_ios/show_version/cisco_ios_show_version_01.raw",
            "12.4(6)T2",
            "flash:/c180x-advipservicesk9-mz.124-6.T2.bin",
            None,
        ),
        ("cisco_ios/show_version/show_version.txt", "15.0(2)SE11", "flash:/c3750-ipservicesk9-mz.150-2.SE11.bin", None),
    ],
)
def test_ios_version(rel, version, image, uptime):
    facts = parsers.ios_version(raw(rel))
    assert facts["version"] == version
    assert facts["image"] == image
    if uptime is not None:
        assert facts["uptime"] == uptime


def test_ios_xe_keeps_both_version_strings():
    facts = parsers.ios_version(raw("cisco_ios/show_version/cisco_ios_show_version2.raw"))
    assert facts["versions"] == ["03.09.01.S", "15.3(2)S1"]
    assert facts["hostname"] == "my_device"


@pytest.mark.parametrize(
    ("rel", "version", "image", "uptime"),
    [
        (
            "cisco_nxos/show_version/cisco_nxos_show_version.raw",
            "6.1(2)I3(1)",
            "bootflash:n9000-dk9.6.1.2.I3.1.bin",
            123 * 86400 + 5 * 3600 + 15 * 60 + 19,
        ),
        (
            "cisco_nxos/show_version/cisco_nxos_show_version3.raw",
            "5.2(1)N1(4)",
            "bootflash:n5000-uk9.5.2.1.N1.4.bin",
            None,
        ),
        ("cisco_nxos/show_version/cisco_nxos_show_version4.raw", "7.0(3)I4(3)", "bootflash:nxos.7.0.3.I4.3.bin", None),
        # CRLF line ends
        (
            "cisco_nxos/show_version/cisco_nxos_show_version6.raw",
            "10.3(6)",
            "bootflash:nxos64-cs.10.3.6.M.bin",
            60 * 86400 + 17 * 3600 + 29 * 60 + 10,
        ),
        # CRLF and a single leading space before 'NXOS:'
        ("cisco_nxos/show_version/cisco_nxos_show_version7.raw", "9.3(15)", "bootflash:nxos.9.3.15.bin", None),
    ],
)
def test_nxos_version(rel, version, image, uptime):
    facts = parsers.nxos_version(raw(rel))
    assert (facts["version"], facts["image"]) == (version, image)
    if uptime is not None:
        assert facts["uptime"] == uptime


@pytest.mark.parametrize(
    ("rel", "version", "uptime"),
    [
        ("arista_eos/show_version/arista_eos_show_version.raw", "4.14.7M", 3600 + 5 * 60),
        ("arista_eos/show_version/arista_eos_show_version2.raw", "4.27.6M", ((134 * 7 + 5) * 24 + 23) * 3600 + 44 * 60),
        ("arista_eos/show_version/arista_eos_show_version_ceos.raw", "4.31.6M", (2 * 24 + 15) * 3600 + 56 * 60),
    ],
)
def test_eos_version(rel, version, uptime):
    facts = parsers.eos_version(raw(rel))
    assert facts["version"] == version
    assert facts["uptime"] == uptime


@pytest.mark.parametrize(
    ("rel", "version", "hostname"),
    [
        ("juniper_junos/show_version/juniper_junos_show_version.raw", "13.3R1.4", "lab"),  # CRLF, fpc0 header
        ("juniper_junos/show_version/juniper_junos_show_version_ex.raw", "13.2X51-D35.3", "lab"),  # no 'Junos:' line
        ("juniper_junos/show_version/juniper_junos_show_version_srx_cluster.raw", "19.4R3-S1.3", "lab"),  # cluster
    ],
)
def test_junos_version(rel, version, hostname):
    facts = parsers.junos_version(raw(rel))
    assert (facts["version"], facts["hostname"]) == (version, hostname)


def test_junos_uptime():
    assert parsers.junos_uptime(raw("juniper_junos/show_system_uptime/juniper_junos_show_system_uptime.raw")) == (
        22 * 7 * 86400 + 19 * 3600 + 16 * 60
    )
    assert parsers.junos_ago("System booted: x (00:12:26 ago)") == 12 * 60 + 26
    assert parsers.junos_ago("System booted: x (1d 04:46 ago)") == 86400 + 4 * 3600 + 46 * 60


@pytest.mark.parametrize(
    ("rel", "boot"),
    [
        ("cisco_ios/show_boot/cisco_ios_show_boot.raw", ["flash:c3750e-ipbasek9-mz.150-2.SE11.bin"]),
        # the capture starts with the echoed 'prompt#show boot' line
        (
            "cisco_ios/show_boot/cisco_ios_show_boot2.raw",
            ["flash:c2960l-universalk9-mz.152-7.E2/c2960l-universalk9-mz.152-7.E2.bin"],
        ),
        ("cisco_ios/show_boot/cisco_ios_show_boot_optimization.raw", None),
    ],
)
def test_ios_boot(rel, boot):
    found = parsers.ios_boot(raw(rel))
    if boot is None:
        assert found and all(entry.startswith("flash:") for entry in found)
    else:
        assert found == boot


def test_ios_boot_variable_router_form():
    assert parsers.ios_boot("BOOT variable = bootflash:a.bin,12;flash:b.bin,1;\nCONFIG_FILE variable =\n") == [
        "bootflash:a.bin",
        "flash:b.bin",
    ]


def test_eos_boot_no_trailing_newline():
    assert parsers.eos_boot(raw("arista_eos/show_boot-config/arista_eos_show_boot-config.raw")) == [
        "flash:/EOS-2.2.0.swi"
    ]
    assert parsers.eos_boot("Software image: (not set)\n") == []


def test_nxos_boot_prefers_next_reload():
    text = (
        "Current Boot Variables:\n\nsup-1\nNXOS variable = bootflash:/old.bin\n\n"
        "Boot Variables on next reload:\n\nsup-1\nNXOS variable = bootflash:/new.bin\n"
    )
    assert parsers.nxos_boot(text) == ["bootflash:/new.bin"]


def test_ios_dir_free_space_and_odd_permission_column():
    listing = parsers.dir_listing(raw("cisco_ios/dir/cisco_ios_dir.raw"))
    assert (listing["total"], listing["free"]) == (7835619328, 6612774912)
    assert listing["files"]["csr1000v-mono-universalk9.03.14.01.S.155-1.S1-std.SPA.pkg"] == 250578048
    assert listing["files"]["packages.conf"] == 5681  # '-rw  -' permission column


def test_nxos_dir_usage_footer():
    listing = parsers.dir_listing(raw("cisco_nxos/dir/cisco_nxos_dir_02.raw"))
    assert (listing["free"], listing["total"]) == (2166267904, 3697471488)
    assert listing["files"]["n7700-s2-dk9.8.4.3.bin"] == 538255348
    assert ".patch/" not in listing["files"] and "vdc_2/" not in listing["files"]


def test_eos_dir_mixed_dates():
    listing = parsers.dir_listing(raw("arista_eos/dir/arista_eos_dir_flash.raw"))
    assert listing["files"]["EOS-4.18.3.1F.swi"] == 591941836  # dated with a year
    assert listing["files"]["EOS-4.19.5M.swi"] == 609823300  # dated with a time
    assert (listing["total"], listing["free"]) == (3519041536, 1725112320)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("17G", 17 * 1024**3),
        ("1.2G", int(1.2 * 1024**3)),
        ("512K", 512 * 1024),
        ("0B", 0),
        ("64M", 64 * 1024**2),
        ("12345", 12345),
    ],
)
def test_human_sizes(text, size):
    assert parsers.human_size(text) == size


def test_junos_storage_picks_var_and_units():
    text = """Filesystem              Size       Used      Avail  Capacity  Mounted on
/dev/gpt/junos           20G       1.2G        17G        7%  /.mount
/dev/gpt/var             64M        12M        52M       19%  /.mount/var
devfs                   1.0K       1.0K         0B      100%  /dev"""
    assert parsers.junos_storage(text) == {"free": 52 * 1024**2, "total": 64 * 1024**2, "mount": "/.mount/var"}


@pytest.mark.parametrize(
    ("text", "digest"),
    [
        (
            ".....Done!\nverify /md5 (flash:x.bin) = 410DB2A7015EAA42B1FE71F1BF3D59A2",
            "410db2a7015eaa42b1fe71f1bf3d59a2",
        ),
        ("MD5 (/var/tmp/x.tgz) = 410db2a7015eaa42b1fe71f1bf3d59a2\n", "410db2a7015eaa42b1fe71f1bf3d59a2"),
        ("410db2a7015eaa42b1fe71f1bf3d59a2\r\n", "410db2a7015eaa42b1fe71f1bf3d59a2"),
        ("%Error verifying flash:x.bin (Input/output error)", None),
        ("error: could not resolve file: /var/tmp/x", None),
    ],
)
def test_md5_digest(text, digest):
    assert parsers.md5_digest(text) == digest


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("17.09.04a", "17.9.4a", True),
        ("10.3(6)", "10.3.6", True),
        ("4.27.6M", "4.27.6m", True),
        ("17.12.03", "17.9.4a", False),
        ("21.4R3-S5.4", "21.4R3-S5.4", True),
        (None, "1", False),
    ],
)
def test_same_version(a, b, same):
    assert parsers.same_version(a, b) is same


def test_interfaces_status_names_with_spaces_and_colons():
    ios = checks.interfaces_status(raw("cisco_ios/show_interfaces_status/cisco_ios_show_interfaces_status.raw"))
    assert ios["Gi1/0/2"] == "connected"
    assert ios["Gi1/0/3"] == "notconnect"  # name "John's Office"
    assert ios["Gi1/0/16"] == "err-disabled"
    assert ios["Gi1/0/20"] == "connected"  # 'connected:'
    assert ios["Gi1/0/23"] == "connected"  # 'connected: TDR'
    nxos = checks.interfaces_status(raw("cisco_nxos/show_interface_status/cisco_nxos_show_interface_status3.raw"))
    assert nxos["Eth1/1"] == "connected" and nxos["Eth1/9"] == "channelDo"
    tabs = checks.interfaces_status(raw("cisco_nxos/show_interface_status/cisco_nxos_show_interface_status1.raw"))
    assert tabs["mgmt0"] == "connected" and tabs["Eth1/8"] == "connected"  # tab characters
    eos = checks.interfaces_status(raw("arista_eos/show_interfaces_status/arista_eos_show_interfaces_status.raw"))
    assert eos == {
        "Et3/1/1": "connected",
        "Et3/1/4": "inactive",
        "Et3/2/1": "notconnect",
        "Et3/2/2": "errdisabled",
        "Et3/2/4": "disabled",
        "Et3/2/5": "disabled",
    }


def test_lldp_neighbors_every_platform():
    ios = checks.lldp_neighbors(raw("cisco_ios/show_lldp_neighbors/cisco_ios_show_lldp_neighbors.raw"))
    assert ios["Gi1/0/2"] == "Polycom VVX 500" and ios["Fa0/13"] == "S2" and len(ios) == 5
    nxos = checks.lldp_neighbors(raw("cisco_nxos/show_lldp_neighbors/cisco_nxos_show_lldp_neighbors.raw"))
    assert nxos == {
        "Eth1/1": "nx-osv9000-3-long-name.com",
        "Eth1/2": "nx-osv9000-4-extremely-long-name",
        "Eth1/3": "nx-osv9000-2",
    }
    eos = checks.lldp_neighbors(raw("arista_eos/show_lldp_neighbors/arista_eos_show_lldp_neighbors.raw"))
    assert eos["Et3/1"] == "tg104.sjc.aristanetworks.com" and len(eos) == 4
    junos = checks.lldp_neighbors(raw("juniper_junos/show_lldp_neighbors/juniper_junos_show_lldp_neighbors.raw"))
    assert junos == {"ge-0/0/1": "vmx2", "ge-0/0/0": "vmx3"}


def test_bgp_neighbors_every_platform():
    ios = checks.bgp_neighbors(raw("cisco_ios/show_ip_bgp_summary/cisco_ios_show_ip_bgp_summary.raw"))
    assert ios["10.0.0.1"] == "Established" and ios["10.0.0.10"] == "Idle (Admin)" and len(ios) == 10
    nxos = checks.bgp_neighbors(raw("cisco_nxos/show_ip_bgp_summary/cisco_nxos_show_ip_bgp_summary.raw"))
    assert nxos["10.0.0.100"] == "Idle" and nxos["10.0.0.10"] == "Idle (Admin)"
    assert nxos["10.0.0.11"] == "Established"  # wrapped over two lines
    eos = checks.bgp_neighbors(raw("arista_eos/show_ip_bgp_summary/arista_eos_show_ip_bgp_summary.raw"))
    assert eos == {"10.17.254.78": "Established", "10.17.254.2": "Established"}
    junos = checks.bgp_neighbors(raw("juniper_junos/show_bgp_summary/show_bgp_summary.raw"))
    assert junos["192.0.2.254"] == "Established" and len(junos) == 5


def test_junos_interfaces_terse():
    text = "Interface Admin Link Proto Local Remote\nge-0/0/0 up up\nge-0/0/0.0 up up inet 10.0.0.1/30\nge-0/0/3 down down\n"
    assert checks.junos_interfaces(text) == {"ge-0/0/0": "up/up", "ge-0/0/3": "down/down"}


def test_compare_reports_changed_missing_and_new():
    before = {"interfaces": {"a": "connected", "b": "connected"}, "bgp": {"10.0.0.1": "Established"}}
    after = {"interfaces": {"a": "connected", "b": "notconnect", "c": "connected"}, "bgp": {}}
    assert checks.compare(before, after) == [
        {"check": "bgp", "item": "10.0.0.1", "before": "Established", "after": None},
        {"check": "interfaces", "item": "b", "before": "connected", "after": "notconnect"},
        {"check": "interfaces", "item": "c", "before": None, "after": "connected"},
    ]


# -- holes found on real captures (issue 12): each of these failed before the fix ------------------
def test_ios_xe_special_build_reads_the_release_and_keeps_the_build():
    facts = parsers.ios_version(raw("cisco_ios/show_version/cisco_ios_show_version_special_build.raw"))
    assert facts["version"] == "16.9.5"
    assert facts["version_raw"] == "V169_5_SR689355441_2"
    assert parsers.same_version(facts["version"], "16.09.05")
    assert parsers.same_version(facts["version_raw"], "16.9.5")  # comparisons on the normalised form


@pytest.mark.parametrize(
    ("rel", "version", "version_raw"),
    [
        ("arista_eos/show_version/arista_eos_show_version_clab.raw", "4.32.1F", "4.32.1F-37265360.4321F"),
        ("arista_eos/show_version/arista_eos_show_version_ceos.raw", "4.31.6M", "4.31.6M-39953990.4316M"),
        ("arista_eos/show_version/arista_eos_show_version3.raw", "4.28.9M", "4.28.9M"),
    ],
)
def test_eos_engineering_build_suffix(rel, version, version_raw):
    facts = parsers.eos_version(raw(rel))
    assert (facts["version"], facts["version_raw"]) == (version, version_raw)
    assert not parsers.same_version(facts["version"], "4.32.2F")


@pytest.mark.parametrize(
    ("rel", "mode"),
    [
        ("cisco_ios/show_version/cisco_ios_show_version_special_build.raw", "install"),  # Mode column INSTALL
        ("cisco_ios/show_version/cisco_ios_show_version1.raw", "install"),  # 3850 flash:packages.conf
        ("cisco_ios/show_version/cisco_ios_show_version2.raw", "bundle"),  # CSR booted from a .bin
        ("cisco_ios/show_version/cisco_ios_show_version.raw", None),  # classic IOS: neither
        ("cisco_ios/show_version/show_version.txt", None),  # 3750 version table without a Mode column
    ],
)
def test_ios_xe_boot_mode(rel, mode):
    assert parsers.ios_version(raw(rel))["boot_mode"] == mode


# Shaped after the 'show version' a Nexus 9000 in ACI mode prints (public ACI bring-up notes): the
# kickstart image is aci-n9000-dk9.*, a PE version line, 'Service: PolicyElem'.
ACI_SHOW_VERSION = """Cisco Nexus Operating System (NX-OS) Software
Software
  BIOS:      version 07.69
  kickstart: version 16.0(7e) [build 16.0(7e)]
  system:    version 16.0(7e) [build 16.0(7e)]
  PE:        version 6.0(7e)
  kickstart image file is: /bootflash/aci-n9000-dk9.16.0.7e.bin
  system image file is:    /bootflash/auto-s

Hardware
  cisco N9K-C93180YC-EX ("supervisor")
  Device name: none

Kernel uptime is 00 day(s), 00 hour(s), 55 minute(s), 21 second(s)
  System version: 16.0(7e)
  Service: PolicyElem Ch reload
"""


def test_nxos_aci_mode_is_detected():
    facts = parsers.nxos_version(ACI_SHOW_VERSION)
    assert facts["aci"] is True
    assert facts["version"] == "16.0(7e)"
    for rel in ("cisco_nxos_show_version.raw", "cisco_nxos_show_version4.raw", "cisco_nxos_show_version6.raw"):
        assert parsers.nxos_version(raw(f"cisco_nxos/show_version/{rel}"))["aci"] is False


def test_dir_input_output_error_raises_naming_the_line():
    listing = raw("cisco_ios/dir/cisco_ios_dir.raw").splitlines()
    broken = "\n".join([*listing[:4], "%Error opening flash:/crashinfo (Input/output error)", *listing[4:]])
    with pytest.raises(NetworkImageError, match=r"line 5: '%Error opening flash:/crashinfo \(Input/output error\)'"):
        parsers.dir_listing(broken)
    with pytest.raises(NetworkImageError, match="Input/output error"):
        parsers.dir_listing("Directory of bootflash:/\n  ls: reading bootflash:/x.bin: Input/output error\n")


@pytest.mark.parametrize(
    ("name", "committed", "activated", "inactive", "auto_abort", "rollback_in"),
    [
        ("genie_golden_output.txt", ["10.69.1.0.66982"], ["bootflash:utah.bm.smu.may15.bin"], [], "active", "01:49:42"),
        ("genie_golden_output_2.txt", ["10.106.1.0.277"], [], ["10.106.1.0.277"], "inactive", None),
        ("genie_golden_output_3.txt", ["17.17.01.0.207190"], [], [], "inactive", None),  # CRLF
        ("genie_golden_output_4.txt", ["16.6.6.0"], [], [], None, None),  # blank lines, ends at the prompt
        ("genie_golden_output_5.txt", ["17.15.03.0.5371"], ["17.15.03.0.5371"], [], "inactive", None),
    ],
)
def test_install_summary(name, committed, activated, inactive, auto_abort, rollback_in):
    summary = parsers.install_summary(raw(f"cisco_ios/show_install_summary/{name}"))
    assert (summary["committed"], summary["activated"], summary["inactive"]) == (committed, activated, inactive)
    assert (summary["auto_abort"], summary["rollback_in"]) == (auto_abort, rollback_in)


def test_install_summary_per_switch_states():
    packages = parsers.install_summary(raw("cisco_ios/show_install_summary/genie_golden_output_5.txt"))["packages"]
    assert [(p["locations"], p["state"], p["version"]) for p in packages] == [
        (["Switch 1", "Switch 2"], "committed", "17.15.03"),
        (["Switch 3"], "activated", "17.15.03"),
    ]


def test_eos_bgp_summary_with_description_column():
    assert checks.bgp_neighbors(raw("arista_eos/show_ip_bgp_summary/arista_eos_show_ip_bgp_summary3.raw")) == {
        "192.0.2.2": "Established",
        "192.0.2.3": "Established",
    }


def test_eos_bgp_idle_with_reason_is_idle_not_unknown():
    assert checks.bgp_neighbors(raw("arista_eos/show_ip_bgp_summary/arista_eos_show_ip_bgp_summary2.raw")) == {
        "10.10.128.0": "Active",
        "10.106.0.153": "Idle(NoIf)",
        "10.106.0.157": "Established",
    }


def test_nxos_lldp_device_id_running_into_the_local_column():
    nxos = checks.lldp_neighbors(raw("cisco_nxos/show_lldp_neighbors/cisco_nxos_show_lldp_neighbors_multiline.raw"))
    assert nxos["Eth3/1"] == "cr-ebc.org.local"  # 'cr-ebc.org.local  Eth3/1' -- was '3/1': 'cr-ebc.org.local  Eth'
    assert nxos["mgmt0"] == "dcx3.org.local" and nxos["Eth4/1"] == "cr-park.org.local"  # wrapped rows
    assert len(nxos) == 15  # 'Total entries displayed: 15'


def test_ios_lldp_device_id_glued_to_the_interface():
    assert checks.lldp_neighbors(raw("cisco_ios/show_lldp_neighbors/cisco_ios_show_lldp_neighbors2.raw")) == {
        "Gi0/2": "long_name_swt.josh-v"
    }


@pytest.mark.parametrize(
    "rel",
    [
        "arista_eos/show_lldp_neighbors/arista_eos_show_lldp_neighbors_header_line.raw",
        "arista_eos/show_lldp_neighbors/arista_eos_show_lldp_neighbors2.raw",
    ],
)
def test_eos_lldp_separator_is_not_a_neighbour(rel):
    found = checks.lldp_neighbors(raw(rel))
    assert not any(port.startswith("-") for port in found)
    assert all(not device.startswith("-") for device in found.values())


def test_several_lldp_neighbours_on_one_port_are_all_returned():
    rows = checks.lldp_neighbor_rows(raw("cisco_ios/show_lldp_neighbors/cisco_ios_show_lldp_neighbors3.raw"))
    on_port = [(r["device"], r["port"]) for r in rows if r["local"] == "Gi2/0/16"]
    assert on_port == [("ABC-Ultra-210W", "Port 6"), ("ABC-Ultra-210W", "Port 3"), ("ABC-Ultra-210W", "Port 6")]
    assert len(rows) == 7  # 'Total entries displayed: 7'
    mapping = checks.lldp_neighbors(
        "Device ID   Local Intf  Hold-time  Capability  Port ID\n"
        "phone-1     Gi1/0/5     120        T           Port 1\n"
        "pc-7        Gi1/0/5     120                    aabb.cc00.0100\n"
    )
    assert mapping == {"Gi1/0/5": "pc-7, phone-1"}
    before, after = {"lldp": mapping}, {"lldp": {"Gi1/0/5": "phone-1"}}
    assert checks.compare(before, after) == [
        {"check": "lldp", "item": "Gi1/0/5", "before": "pc-7, phone-1", "after": "phone-1"}
    ]


def test_ios_xe_3x_without_version_table_is_still_install_mode():
    """IOS-XE 3.x says 'IOS-XE Software' only in the IOS line; without the Mode column packages.conf decides."""
    text = raw("cisco_ios/show_version/cisco_ios_show_version1.raw")
    without_table = text[: text.index("Switch Ports Model")]
    assert parsers.ios_version(without_table)["boot_mode"] == "install"


@pytest.mark.parametrize(
    ("raw_version", "reads"),
    [
        ("V169_5_SR689355441_2", "16.9.5"),
        ("V1712_1_SR712345678_1", "17.12.1"),
        ("4.32.1F-37265360.4321F", "4.32.1F"),
        ("4.28.9M-33818481.4289M", "4.28.9M"),
        ("4.31.6M", "4.31.6M"),
        ("17.09.04a", "17.09.04a"),
        ("19.4R3-S1.3", "19.4R3-S1.3"),  # Junos service releases keep their suffix
        ("13.2X51-D35.3", "13.2X51-D35.3"),
        ("15.2(4.0.55)E", "15.2(4.0.55)E"),
        (None, None),
    ],
)
def test_display_version(raw_version, reads):
    assert parsers.display_version(raw_version) == reads


#: 'show install summary' of a C9300 stack on 17.9.4a with 17.12.3 added: the capture's shape is
#: genie_golden_output_5.txt's (same headers, CRLF, per-switch blocks); Cisco names 17.9.4a's package 17.09.04a.0.6
C9300_17_9_4A = "\r\n".join(
    [
        "[ Switch 1 2 ] Installed Package(s) Information:",
        "State (St): I - Inactive, U - Activated & Uncommitted,",
        "            C - Activated & Committed, D - Deactivated & Uncommitted",
        "-" * 80,
        "Type  St   Filename/Version",
        "-" * 80,
        "IMG   I    17.12.03.0.3752",
        "IMG   C    17.09.04a.0.6",
        "",
        "-" * 80,
        "Auto abort timer: inactive",
        "-" * 80,
    ]
)


def test_install_summary_reads_rebuild_letters_in_the_version():
    packages = parsers.install_summary(C9300_17_9_4A)["packages"]
    assert [(p["name"], p["state"], p["version"]) for p in packages] == [
        ("17.12.03.0.3752", "inactive", "17.12.03"),
        ("17.09.04a.0.6", "committed", "17.09.04a"),
    ]
    # IOS-XE 3.x names its releases with a letter too (03.06.05E)
    old = C9300_17_9_4A.replace("17.09.04a.0.6", "03.06.05E.0.1")
    assert parsers.install_summary(old)["packages"][1]["version"] == "03.06.05E"
