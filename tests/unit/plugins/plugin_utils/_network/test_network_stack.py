"""Stack members, SSO supervisors and modules read from real captures (tests/fixtures/network, SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._network import stack

FIX = Path(__file__).parents[4] / "fixtures" / "network"


def raw(rel: str) -> str:
    return (FIX / rel).read_bytes().decode("utf-8")


def test_every_platform_has_commands():
    assert set(stack.COMMANDS) == {"cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos"}
    assert "show switch" in stack.COMMANDS["cisco_ios"] and "show redundancy" in stack.COMMANDS["cisco_ios"]
    with pytest.raises(KeyError, match="no stack commands for platform 'vyos'"):
        stack.members("vyos", {})


def test_ios_stack_roles_and_versions_from_show_switch_and_show_version():
    members = stack.members(
        "cisco_ios",
        {
            "show version": raw("cisco_ios/show_version/cisco_ios_show_version1.raw"),
            "show switch": raw("cisco_ios/show_switch_detail/cisco_ios_show_switch_detail3.raw"),
        },
    )
    assert [(m["id"], m["role"], m["version"], m["state"]) for m in members] == [
        ("1", "active", "03.06.05E", "Ready"),
        ("2", "member", "03.06.05E", "Ready"),
        ("3", "member", "03.06.05E", "Ready"),
        ("4", "standby", "03.06.05E", "Ready"),
    ]


def test_ios_member_left_on_the_old_image_is_visible():
    text = raw("cisco_ios/show_version/cisco_ios_show_version_special_build.raw")
    lagging = text.replace("     2 50    C9500-40X          16.9.5 ", "     2 50    C9500-40X          16.9.4 ")
    members = stack.members("cisco_ios", {"show version": lagging})
    assert [(m["id"], m["role"], m["version"]) for m in members] == [
        ("1", "active", "16.9.5"),
        ("2", "member", "16.9.4"),
    ]


def test_ios_show_switch_alone_gives_roles_without_versions():
    members = stack.members("cisco_ios", {"show switch": raw("cisco_ios/show_switch/cisco_ios_show_switch_01.raw")})
    assert members == [
        {"id": "1", "role": "active", "version": None, "state": "Ready"},
        {"id": "2", "role": "standby", "version": None, "state": "Ready"},
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "cisco_ios_show_redundancy.raw",  # the version wraps onto the next line
            [
                ("slot 1", "active", "12.2(20)EWA(3.92)", "ACTIVE"),
                ("slot 2", "standby", "12.2(20)EWA(3.92)", "STANDBY HOT"),
            ],
        ),
        (
            "cisco_ios_show_redundancy2.raw",
            [("slot 1/5", "active", "15.5(1)SY4", "ACTIVE"), ("slot 2/5", "standby", "15.5(1)SY4", "STANDBY HOT")],
        ),
        (
            "cisco_ios_show_redundancy4.raw",
            [("slot 1", "active", "17.9.5", "ACTIVE"), ("slot 5", "standby", "17.9.5", "STANDBY HOT")],
        ),
        (
            "cisco_ios_show_redundancy5.raw",
            [("Switch 1", "active", "17.14.1", "ACTIVE"), ("Switch 2", "standby", "17.14.1", "STANDBY HOT")],
        ),
    ],
)
def test_ios_sso_pair(name, expected):
    members = stack.members("cisco_ios", {"show redundancy": raw(f"cisco_ios/show_redundancy/{name}")})
    assert [(m["id"], m["role"], m["version"], m["state"]) for m in members] == expected


def test_device_errors_and_missing_outputs_are_skipped():
    outputs = {
        "show version": raw("cisco_ios/show_version/cisco_ios_show_version3.raw"),  # IOSv: no switch table
        "show switch": "show switch\n          ^\n% Invalid input detected at '^' marker.\n",
    }
    assert stack.members("cisco_ios", outputs) == []
    assert stack.members("cisco_nxos", {}) == []


def test_nxos_modules_with_software_only():
    members = stack.members("cisco_nxos", {"show module": raw("cisco_nxos/show_module/cisco_nxos_show_module.raw")})
    assert members == [{"id": "1", "role": "active", "version": "7.3(1)D1(0.10)", "state": "active *"}]


def test_eos_supervisor_from_show_module():
    text = raw("arista_eos/show_module/arista_eos_show_module.template.raw")
    assert stack.members("arista_eos", {"show module": text}) == [
        {"id": "1", "role": "active", "version": "4.19.5M", "state": "Active"}
    ]


def test_junos_cluster_and_virtual_chassis_blocks():
    cluster = stack.members(
        "juniper_junos", {"show version": raw("juniper_junos/show_version/juniper_junos_show_version_srx_cluster.raw")}
    )
    assert [(m["id"], m["version"]) for m in cluster] == [("node0", "19.4R3-S1.3"), ("node1", "19.4R3-S1.3")]
    vc = stack.members(
        "juniper_junos", {"show version": raw("juniper_junos/show_version/juniper_junos_show_version_qfx5100.raw")}
    )
    assert [(m["id"], m["version"]) for m in vc] == [("fpc0", "21.4R3-S3.4")]
    vc2 = stack.members(
        "juniper_junos", {"show version": raw("juniper_junos/show_version/juniper_junos_show_version_ex.raw")}
    )
    assert [(m["id"], m["version"]) for m in vc2] == [("fpc0", "13.2X51-D35.3"), ("fpc1", "13.2X51-D35.3")]
    single = "Hostname: r1\nModel: vmx\nJunos: 21.4R3-S5.4\n"
    assert stack.members("juniper_junos", {"show version": single}) == []
