"""The network device simulator: images, boot logic, faults, and each dialect as netmiko sees it."""

from __future__ import annotations

import hashlib
import time

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._network import checks
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.platforms import get_platform
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.session import Session

from lab.netsim import images
from lab.netsim.device import Device, inject
from lab.netsim.testing import SimDevice


def test_image_header_round_trip_and_damage(tmp_path):
    path = images.make_image(tmp_path / "a.bin", "cisco_ios", "17.12.03", size=10_000)
    assert images.read_header(path) == {
        "platform": "cisco_ios",
        "version": "17.12.03",
        "payload-sha256": images.read_header(path)["payload-sha256"],
    }
    data = bytearray(path.read_bytes())
    (tmp_path / "short.bin").write_bytes(data[:-10])
    data[-1] ^= 0xFF
    (tmp_path / "flip.bin").write_bytes(bytes(data))
    assert images.read_header(tmp_path / "short.bin") is None
    assert images.read_header(tmp_path / "flip.bin") is None
    assert images.read_header(tmp_path / "missing.bin") is None


def test_boot_follows_boot_list_and_falls_back(tmp_path):
    dev = Device(tmp_path, "cisco_ios", "d1")
    old = dev.state["image"]
    images.make_image(dev.flash / "new.bin", "cisco_ios", "17.12.03")
    dev.set_running_boot(["new.bin", old])
    dev.save_config()
    inject(tmp_path, "boot-fail", [])
    dev.boot()
    assert (dev.state["image"], dev.state["last_boot"]["result"]) == (old, "fallback")
    assert dev.faults() == {}  # counted fault used up
    dev.boot()
    assert (dev.state["image"], dev.state["version"]) == ("new.bin", "17.12.03")
    images.make_image(dev.flash / "other.bin", "arista_eos", "4.31.6M")  # wrong platform never boots
    dev.set_boot(["other.bin"])
    dev.boot()
    assert dev.state["image"] == "new.bin" and dev.state["last_boot"]["result"] == "fallback"


def test_unsaved_config_is_lost_on_reload(tmp_path):
    dev = Device(tmp_path, "cisco_nxos", "d2")
    dev.set_running_boot(["nothing.bin"])
    assert dev.state["saved"] is False
    dev.boot()
    assert dev.state["running_boot"] == dev.state["boot"] != ["nothing.bin"]


def test_fault_injection_file(tmp_path):
    Device(tmp_path, "arista_eos", "d3")
    assert "set" in inject(tmp_path, "corrupt-transfer", ["2"])
    inject(tmp_path, "slow-hash", ["1.5"])
    inject(tmp_path, "flash-full", [])
    dev = Device(tmp_path, "arista_eos", "d3")
    assert dev.free() == 32 * 1024
    assert dev.take_fault("corrupt-transfer") and dev.take_fault("corrupt-transfer")
    assert not dev.take_fault("corrupt-transfer")
    assert dev.fault_value("slow-hash", "seconds", 20) == 1.5
    inject(tmp_path, "clear", [])
    assert dev.faults() == {} and dev.free() > 1024 * 1024
    with pytest.raises(ValueError, match="unknown fault"):
        inject(tmp_path, "explode", [])


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos"])
def test_dialect_through_netmiko(tmp_path, platform):
    """netmiko connects with host key checking, our parsers read the simulator, SCP works, reload drops and returns."""
    with SimDevice(tmp_path, platform, reload_delay=1) as sim:
        p = get_platform(platform)
        s = Session(
            p, "127.0.0.1", sim.port, "admin", sim.password, known_hosts=str(sim.known_hosts), connect_timeout=10
        )
        s.connect()
        facts = p.facts(s)
        state = sim.state()
        assert facts["version"] == state["version"]
        assert facts["image"] == state["image"] and facts["boot"] == [state["image"]]
        assert facts["free"] > 0 and state["image"] in facts["files"] and facts["config_saved"] is True
        snap = p.snapshot(s)
        assert snap["interfaces"] and snap["lldp"] and "Established" in snap["bgp"].values()
        local = images.make_image(tmp_path / "new.bin", platform, "99.1.1")
        s.transfer(str(local), "new.bin")
        digest, _ = p.md5(s, "new.bin", 30)
        assert digest == hashlib.md5(local.read_bytes()).hexdigest()
        assert p.reload(s) is True
        deadline = time.monotonic() + 5
        while sim.state()["up"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sim.state()["up"] is False
        sim.wait_listening(15)
        s.connect()
        assert p.facts(s)["uptime"] is not None and sim.state()["reloads"] == 1
        s.close()


def test_wrong_host_key_is_refused(tmp_path):
    with SimDevice(tmp_path, "cisco_ios") as sim:
        sim.known_hosts.write_text(
            f"[127.0.0.1]:{sim.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJe0a1nY5QmzJmJ1+IiY1mJx2h9YwS0f5v1J4dUe8aK\n"
        )
        s = Session(
            get_platform("cisco_ios"),
            "127.0.0.1",
            sim.port,
            "admin",
            sim.password,
            known_hosts=str(sim.known_hosts),
            connect_timeout=10,
        )
        with pytest.raises(Exception, match="(?i)host key|known_hosts|BadHostKey|does not match"):
            s.connect()
        relaxed = Session(
            get_platform("cisco_ios"),
            "127.0.0.1",
            sim.port,
            "admin",
            sim.password,
            known_hosts=None,
            host_key_checking=False,
            connect_timeout=10,
        )
        relaxed.connect()
        relaxed.close()


def test_checks_parse_the_simulator_tables():
    from lab.netsim import cli_cisco, cli_eos, cli_junos

    assert checks.interfaces_status(cli_cisco.IOS_INTERFACES)["Gi1/0/4"] == "notconnect"
    assert checks.lldp_neighbors(cli_cisco.NXOS_LLDP)["Eth1/1"] == "lab-spine-01.lab.example.net"
    assert checks.bgp_neighbors(cli_eos.EOS_BGP.format(up="00:01:00")) == {
        "10.2.0.1": "Established",
        "10.2.0.5": "Established",
    }
    assert checks.junos_interfaces(cli_junos.JUNOS_INTERFACES)["ge-0/0/2"] == "up/down"


@pytest.mark.parametrize("platform", ["cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos"])
def test_link_down_boot_changes_every_snapshot_table(tmp_path, platform):
    from lab.netsim.server import DIALECTS

    dev = Device(tmp_path, platform, "d5")
    p = get_platform(platform)

    class Shell:
        def __init__(self, cli):
            self.cli = cli

        def send(self, command, read_timeout=None, check=True, minimum=0):
            for mode, pattern, method in self.cli.commands:
                if mode == "exec" and __import__("re").fullmatch(pattern, command):
                    return getattr(self.cli, method)()
            raise AssertionError(command)

    shell = Shell(DIALECTS[platform](dev, sim=None))
    before = p.snapshot(shell)
    inject(tmp_path, "link-down", [])
    dev.boot()
    assert dev.state["link_down"] is True
    after = p.snapshot(shell)
    assert {d["check"] for d in checks.compare(before, after)} == {"interfaces", "lldp", "bgp"}
    dev.boot()  # the fault was used up: the next boot is healthy again
    assert checks.compare(before, p.snapshot(shell)) == []
