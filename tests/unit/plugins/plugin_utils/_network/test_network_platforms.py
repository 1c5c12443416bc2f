"""Each platform's command plan: what it types for facts, hash, boot variable, save, delete and reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._network import (
    NetworkImageError,
    checks,
    platforms,
    settings,
)

FIX = Path(__file__).parents[4] / "fixtures" / "network"


def capture(rel: str) -> str:
    """A real capture from the corpus (tests/fixtures/network, SOURCES.md)."""
    return (FIX / rel).read_bytes().decode("utf-8")


#: what each platform's boot command answers on real gear (corpus captures)
BOOT_ANSWERS = {
    "cisco_ios": ("show boot", "cisco_ios/show_boot/cisco_ios_show_boot.raw"),
    "cisco_nxos": ("show boot", "cisco_nxos/show_boot/genie_golden_output.txt"),
    "arista_eos": ("show boot-config", "arista_eos/show_boot-config/arista_eos_show_boot-config.raw"),
}


def real_answers(name: str) -> dict[str, str]:
    answers = {"show running-config": "hostname sw1\n", "show startup-config": "hostname sw1\n"}
    if name in BOOT_ANSWERS:
        command, rel = BOOT_ANSWERS[name]
        answers[command] = capture(rel)
    return answers


class FakeSession:
    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.sent: list[str] = []
        self.configs: list[list[str]] = []

    def send(self, command: str, read_timeout: float | None = None, check: bool = True, minimum: float = 0) -> str:
        self.sent.append(command)
        return self.answers.get(command, "")

    def config(self, lines: list[str]) -> str:
        self.configs.append(lines)
        return ""

    def interact(self, command, answers, timeout=60):
        self.sent.append(command)
        return True


MD5 = "0123456789abcdef0123456789abcdef"
VERSIONS = {
    "cisco_ios": 'Cisco IOS XE Software, Version 17.09.04a\nSystem image file is "flash:old.bin"',
    "cisco_nxos": "  NXOS: version 10.3(6) [Maintenance Release]",
    "arista_eos": "Software image version: 4.27.6M",
    "juniper_junos": "Junos: 21.4R3-S5.4",
}

PLANS = {
    "cisco_ios": {
        "facts": ["show version", "show boot", "dir flash:", "show running-config", "show startup-config"],
        "md5": "verify /md5 flash:new.bin",
        "boot": [["no boot system", "boot system flash:new.bin", "boot system flash:old.bin"]],
        "save": "write memory",
        "delete": "delete /force flash:old.bin",
        "reload": "reload",
        "snapshot": ["show interfaces status", "show lldp neighbors", "show ip bgp summary"],
    },
    "cisco_nxos": {
        "facts": ["show version", "show boot", "dir bootflash:", "show running-config", "show startup-config"],
        "md5": "show file bootflash:new.bin md5sum",
        "boot": [["boot nxos bootflash:new.bin"]],
        "save": "copy running-config startup-config",
        "delete": "delete bootflash:old.bin no-prompt",
        "reload": "reload",
        "snapshot": ["show interface status", "show lldp neighbors", "show ip bgp summary"],
    },
    "arista_eos": {
        "facts": ["show version", "show boot-config", "dir flash:", "show running-config", "show startup-config"],
        "md5": "verify /md5 flash:new.bin",
        "boot": [["boot system flash:new.bin"]],
        "save": "write memory",
        "delete": "delete flash:old.bin",
        "reload": "reload",
        "snapshot": ["show interfaces status", "show lldp neighbors", "show ip bgp summary"],
    },
    "juniper_junos": {
        "facts": [
            "show version",
            "show system uptime",
            "show system software",
            "show system software",
            "file list /var/tmp/ detail",
            "show system storage",
        ],
        "md5": "file checksum md5 /var/tmp/new.bin",
        "boot": [],
        "save": None,
        "delete": "file delete /var/tmp/old.bin",
        "reload": "request system reboot",
        "snapshot": ["show interfaces terse", "show lldp neighbors", "show bgp summary"],
    },
}


@pytest.mark.parametrize("name", sorted(PLANS))
def test_command_plan(name):
    plan = PLANS[name]
    p = platforms.get_platform(name)
    s = FakeSession({plan["md5"]: f"verify /md5 (x) = {MD5}", "show version": VERSIONS[name], **real_answers(name)})
    p.facts(s)
    assert s.sent == plan["facts"]
    s.sent.clear()
    assert p.md5(s, "new.bin", 10)[0] == MD5
    assert s.sent == [plan["md5"]]
    s.sent.clear()
    p.set_boot(s, ["new.bin", "old.bin"])
    assert s.configs == plan["boot"]
    if name == "juniper_junos":
        assert s.sent == ["request system software add /var/tmp/new.bin no-validate"]
    s.sent.clear()
    p.save(s)
    assert s.sent == ([plan["save"]] if plan["save"] else [])
    s.sent.clear()
    p.delete(s, "old.bin")
    assert s.sent == [plan["delete"]]
    s.sent.clear()
    assert p.reload(s) is True
    assert s.sent == [plan["reload"]]
    s.sent.clear()
    p.snapshot(s)
    assert s.sent == plan["snapshot"]


def test_junos_software_add_error_is_raised():
    p = platforms.get_platform("junos")
    s = FakeSession(
        {"request system software add /var/tmp/x.tgz no-validate": "error: File does not exist: /var/tmp/x.tgz"}
    )
    with pytest.raises(RuntimeError, match="does not exist"):
        p.set_boot(s, ["x.tgz"])


def test_ios_config_saved_ignores_comments_and_headers():
    p = platforms.get_platform("ios")
    run = "Building configuration...\n\nCurrent configuration : 120 bytes\n!\nhostname a\n!\nend"
    start = "Using 120 out of 2097152 bytes\n!\nhostname a\nend"
    assert p.config_saved(FakeSession({"show running-config": run, "show startup-config": start}))
    assert not p.config_saved(
        FakeSession({"show running-config": run + "\nlogging host 1.2.3.4", "show startup-config": start})
    )


def test_aliases_and_unknown_platform():
    assert platforms.get_platform("cisco.nxos.nxos").name == "cisco_nxos"
    assert platforms.get_platform("eos").name == "arista_eos"
    with pytest.raises(KeyError, match="unsupported platform 'vyos'"):
        platforms.get_platform("vyos")


def test_basename_of_device_paths():
    p = platforms.get_platform("cisco_nxos")
    assert p.basename("bootflash:///nxos.9.3.15.bin") == "nxos.9.3.15.bin"
    assert p.basename("flash:/EOS-4.27.6M.swi") == "EOS-4.27.6M.swi"
    assert p.basename(None) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("-o UserKnownHostsFile=/k/hosts -o StrictHostKeyChecking=yes", "/k/hosts"),
        ("-oUserKnownHostsFile=/k/h2", "/k/h2"),
        ("-o 'UserKnownHostsFile=/k/with space'", "/k/with"),
        ("-o ProxyCommand=none", None),
        (None, None),
    ],
)
def test_known_hosts_from_ssh_args(args, expected):
    assert settings.known_hosts_from_ssh_args(args) == expected


def _args(**kw):
    base = {
        "host_key_checking": True,
        "connect_timeout": 5,
        "transfer_timeout": 5,
        "command_timeout": 5,
        "known_hosts": None,
    }
    base.update(kw)
    return base


def test_connection_from_ansible_variables():
    variables = {
        "ansible_host": "10.0.0.9",
        "ansible_port": "2300",
        "ansible_user": "ops",
        "ansible_ssh_pass": "pw",
        "ansible_network_os": "ios",
        "ansible_ssh_common_args": "-o UserKnownHostsFile=/kh",
    }
    conn = settings.connection(_args(), variables.get, "sw1")
    assert (conn["host"], conn["port"], conn["username"], conn["password"], conn["platform"], conn["known_hosts"]) == (
        "10.0.0.9",
        2300,
        "ops",
        "pw",
        "ios",
        "/kh",
    )
    explicit = settings.connection(
        _args(host="h", port=22, username="u", password="p", known_hosts="/x"), variables.get, "sw1"
    )
    assert (
        explicit["host"],
        explicit["port"],
        explicit["username"],
        explicit["password"],
        explicit["known_hosts"],
    ) == ("h", 22, "u", "p", "/x")


@pytest.mark.parametrize(
    ("missing", "message"),
    [("ansible_network_os", "no platform"), ("ansible_user", "no user name"), ("ansible_password", "no credentials")],
)
def test_connection_errors_name_the_variable(missing, message):
    variables = {"ansible_user": "ops", "ansible_password": "pw", "ansible_network_os": "eos"}
    variables.pop(missing)
    with pytest.raises(NetworkImageError, match=message):
        settings.connection(_args(), variables.get, "sw1", env={})


# -- empty answers are never data ------------------------------------------------------------------
SNAPSHOT_CAPTURES = {
    "cisco_ios": {
        "show interfaces status": "cisco_ios/show_interfaces_status/cisco_ios_show_interfaces_status.raw",
        "show lldp neighbors": "cisco_ios/show_lldp_neighbors/cisco_ios_show_lldp_neighbors.raw",
        "show ip bgp summary": "cisco_ios/show_ip_bgp_summary/cisco_ios_show_ip_bgp_summary.raw",
    },
    "arista_eos": {
        "show interfaces status": "arista_eos/show_interfaces_status/arista_eos_show_interfaces_status.raw",
        "show lldp neighbors": "arista_eos/show_lldp_neighbors/arista_eos_show_lldp_neighbors.raw",
        "show ip bgp summary": "arista_eos/show_ip_bgp_summary/arista_eos_show_ip_bgp_summary3.raw",
    },
}


@pytest.mark.parametrize("name", sorted(PLANS))
def test_snapshot_of_empty_answers_is_unreadable_not_empty_tables(name):
    p = platforms.get_platform(name)
    snap = p.snapshot(FakeSession({}))
    assert snap == {check: checks.UNREADABLE for check in p.snapshot_commands}


def test_snapshot_of_an_answer_without_its_table_is_unreadable():
    p = platforms.get_platform("cisco_ios")
    snap = p.snapshot(FakeSession({"show lldp neighbors": "LLDP is not enabled here, see the docs\n"}))
    assert snap["lldp"] == checks.UNREADABLE


@pytest.mark.parametrize("name", sorted(SNAPSHOT_CAPTURES))
def test_snapshot_of_real_captures_reads_every_table(name):
    p = platforms.get_platform(name)
    answers = {cmd: capture(rel) for cmd, rel in SNAPSHOT_CAPTURES[name].items()}
    snap = p.snapshot(FakeSession(answers))
    assert set(snap) == {"interfaces", "lldp", "bgp"}
    assert all(isinstance(rows, dict) and rows for rows in snap.values()), snap


def test_snapshot_header_without_rows_is_readable_and_empty():
    """An LLDP table with its header and no neighbour is a real 'no neighbours' (not unreadable)."""
    p = platforms.get_platform("cisco_ios")
    text = (
        "Capability codes:\n    (R) Router, (B) Bridge\n\n"
        "Device ID           Local Intf     Hold-time  Capability      Port ID\n\nTotal entries displayed: 0\n"
    )
    assert p.snapshot(FakeSession({"show lldp neighbors": text}))["lldp"] == {}


@pytest.mark.parametrize(
    ("name", "command"), [("cisco_ios", "show boot"), ("cisco_nxos", "show boot"), ("arista_eos", "show boot-config")]
)
def test_an_empty_boot_answer_fails_naming_the_command(name, command):
    """Empty 'show boot' is not 'no boot variable': the step fails with the command."""
    p = platforms.get_platform(name)
    with pytest.raises(NetworkImageError, match="answered nothing") as info:
        p.boot(FakeSession({}))
    assert info.value.details["command"] == command


def test_a_boot_answer_without_a_boot_line_fails():
    p = platforms.get_platform("cisco_ios")
    with pytest.raises(NetworkImageError, match="could not read the boot variable"):
        p.boot(FakeSession({"show boot": "some banner text\n"}))


def test_an_empty_startup_config_answer_fails_the_save_check():
    p = platforms.get_platform("cisco_ios")
    with pytest.raises(NetworkImageError, match="'show startup-config' answered nothing"):
        p.config_saved(FakeSession({"show running-config": "hostname sw1\n"}))


def test_compare_unreadable_after_rows_is_a_difference():
    before = {"lldp": {"Gi1/0/1": "core-1"}, "bgp": checks.UNREADABLE, "interfaces": {}}
    after = {"lldp": checks.UNREADABLE, "bgp": {"10.0.0.1": "Established"}, "interfaces": checks.UNREADABLE}
    assert checks.compare(before, after) == [{"check": "lldp", "item": "*", "before": "1 rows", "after": "unreadable"}]
    assert checks.unread(before, after) == ["bgp", "interfaces"]
