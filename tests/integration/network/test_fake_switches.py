"""network_image against fake-switches 1.5.0, an SSH switch emulator this project did not write.

The peer runs in its own virtualenv (lab/peers/fake_switches.py; `make setup` installs it, the fixture
installs it when missing) on 127.0.0.1 ports 3300-3399. What it answers, and what it does not, is listed
in docs/network.md ("Tested against"): its Cisco models log in at '>' and, once enabled, answer
'show version' and configuration; 'show boot', 'show startup-config', 'show interfaces status', 'show lldp
neighbors' and 'show ip bgp summary' answer with NOTHING, so every scan ends at 'show boot' (an empty answer
is not 'no boot variable') and its post-check snapshot is 'unreadable'; they have no 'dir', 'verify', SCP or
'reload' -- the project's simulator covers the rest.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible_collections.everylayer.patch.plugins.plugin_utils._network import NetworkImageError, checks, parsers, stack
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.platforms import get_platform
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.runbook import Runbook
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.session import Session

from lab.peers.fake_switches import FakeSwitch, ensure_venv, free_port

REPO = Path(__file__).resolve().parents[3]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
PORTS = (3300, 3399)
PEER_VERSION = "12.2(58)SE2"  # what its 'show version' prints


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    """The peers: user mode, auto-enabled, one whose 'show version' never answers, the Arista model, and two
    more Cisco models (6500, 2960)."""
    try:
        ensure_venv()
    except Exception as exc:  # noqa: BLE001 - name the cause, then stop: every test here needs the peer
        pytest.fail(f"fake-switches could not be installed (make setup installs it): {exc}")
    root = tmp_path_factory.mktemp("fake-switches")
    specs = {
        "user": {"model": "cisco_generic"},
        "enabled": {"model": "cisco_generic", "auto_enabled": True},
        "hang": {"model": "cisco_generic", "auto_enabled": True, "hang": ("show version",)},
        "arista": {"model": "arista_generic", "auto_enabled": True},
        "c6500": {"model": "cisco_6500", "auto_enabled": True},
        "c2960": {"model": "cisco_2960_24TT_L", "auto_enabled": True},
    }
    started = {}
    try:
        for name, spec in specs.items():
            port = free_port(*PORTS, taken=tuple(peer.port for peer in started.values()))
            started[name] = FakeSwitch(root / name, port=port, **spec).launch()
        for peer in started.values():
            peer.wait()
        yield started
    finally:
        for peer in started.values():
            peer.stop()


def play(tmp: Path, hosts: dict[str, dict]) -> dict[str, dict]:
    """One ansible-playbook run: every host runs one network_image task shaped by its nimg_* variables."""
    task_args = {
        "state": "{{ nimg_state | default('scanned') }}",
        "version": "{{ nimg_version | default(omit) }}",
        "image": "{{ nimg_image | default(omit) }}",
        "command_timeout": "{{ nimg_command_timeout | default(omit) }}",
        "connect_timeout": "{{ nimg_connect_timeout | default(omit) }}",
        "enable_secret": "{{ nimg_enable_secret | default(omit) }}",
        "backup": False,
    }
    tasks = [
        {
            "name": "network image",
            "everylayer.patch.network_image": task_args,
            "check_mode": "{{ nimg_check | default(false) }}",
            "register": "res",
            "ignore_errors": True,
        },
        {
            "name": "save result",
            "ansible.builtin.copy": {
                "content": "{{ res | to_nice_json }}",
                "dest": str(tmp / "{{ inventory_hostname }}.json"),
                "mode": "0600",
            },
            "delegate_to": "localhost",
        },
    ]
    (tmp / "play.yml").write_text(
        yaml.safe_dump([{"name": "fake-switches", "hosts": "all", "gather_facts": False, "tasks": tasks}])
    )
    (tmp / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORKS="10")
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(tmp / "hosts.yml"), str(tmp / "play.yml")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    (tmp / "output.txt").write_text(proc.stdout + proc.stderr)
    results = {}
    for name in hosts:
        path = tmp / f"{name}.json"
        assert path.exists(), (
            f"no result for {name} (rc {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-1500:]}"
        )
        results[name] = json.loads(path.read_text())
    return results


@pytest.fixture(scope="module")
def results(peers, tmp_path_factory):
    """Every module case against the peers in one playbook run (the hosts run in parallel)."""
    user, enabled, hang, arista = peers["user"], peers["enabled"], peers["hang"], peers["arista"]
    hosts = {
        "user-mode": user.inventory_vars(),
        "become": {
            **user.inventory_vars(),
            "ansible_become": True,
            "ansible_become_password": user.enable_password,
        },
        "wrong-enable": {**user.inventory_vars(), "nimg_enable_secret": "not-the-enable-password"},
        "bad-password": {**user.inventory_vars(), "ansible_password": "bad-pw-7x"},
        "enabled": enabled.inventory_vars(),
        "enabled-check": {
            **enabled.inventory_vars(),
            "nimg_state": "upgraded",
            "nimg_version": "15.2(7)E10",
            "nimg_image": str(REPO / "README.md"),  # never read: the device's facts fail first
            "nimg_check": True,
        },
        "hang": {**hang.inventory_vars(), "nimg_command_timeout": 3},
        "arista": {**arista.inventory_vars(), "nimg_connect_timeout": 5},
        "c6500": peers["c6500"].inventory_vars(),
        "c2960": peers["c2960"].inventory_vars(),
    }
    return play(tmp_path_factory.mktemp("fake-switches-play"), hosts)


def test_user_mode_is_refused(results):
    res = results["user-mode"]
    assert res["failed"] is True
    assert "user mode" in res["msg"] and "fake-sw-01>" in res["msg"]
    assert "ansible_become" in res["msg"]  # says how to fix it


EMPTY_BOOT = "'show boot' answered nothing: could not read the boot variable"


def test_become_enables_then_the_empty_show_boot_fails_naming_the_command(results):
    """enable succeeds (ansible_become_password), 'show version' is read; the peer answers 'show boot' with nothing,
    which is not 'no boot variable set': the scan fails there, naming the command."""
    res = results["become"]
    assert res["failed"] is True
    assert EMPTY_BOOT in res["msg"] and res["command"] == "show boot"
    assert "user mode" not in res["msg"]


def test_wrong_enable_password_fails_at_enable(results):
    res = results["wrong-enable"]
    assert res["failed"] is True
    assert res["msg"].startswith("'enable' failed") and "ansible_become_password" in res["msg"]
    assert "not-the-enable" not in json.dumps(res)  # the secret is in no part of the result


def test_bad_login_password_fails_cleanly(results):
    res = results["bad-password"]
    assert res["failed"] is True and res["msg"].startswith("authentication to 127.0.0.1")
    assert "bad-pw-7x" not in json.dumps(res)


def test_auto_enabled_scan_reads_then_stops_at_the_empty_show_boot(results):
    res = results["enabled"]
    assert res["failed"] is True and EMPTY_BOOT in res["msg"] and res["command"] == "show boot"


@pytest.mark.parametrize("host", ["c6500", "c2960"])
def test_the_other_cisco_models_answer_the_same_way(results, host):
    res = results[host]
    assert res["failed"] is True and EMPTY_BOOT in res["msg"]


def test_check_mode_forecasts_nothing_from_facts_it_could_not_read(results):
    res = results["enabled-check"]
    assert res["failed"] is True and EMPTY_BOOT in res["msg"]
    assert not res.get("changed") and "would" not in res["msg"]


def test_a_command_that_never_answers_fails_with_the_real_wait(results):
    res = results["hang"]
    assert res["failed"] is True
    assert "'show version'" in res["msg"] and "3s" in res["msg"] and "60" not in res["msg"]


def test_arista_model_fails_at_connect_clearly(results):
    """fake-switches' Arista model never answers netmiko's session preparation (documented peer limit)."""
    res = results["arista"]
    assert res["failed"] is True and "127.0.0.1" in res["msg"] and "Traceback" not in res["msg"]
    # the message states the wait it measured (every login stage bounded by connect_timeout), not the option alone
    assert re.search(r"no usable prompt after \d+\.\ds \(connect_timeout=5s", res["msg"]), res["msg"]
    assert "within connect_timeout" not in res["msg"] and isinstance(res["waited"], float)


# -- below the module: the session and parsers on the peer's own output ---------------------------
def session(peer: FakeSwitch, **extra) -> Session:
    return Session(
        get_platform("cisco_ios"),
        "127.0.0.1",
        peer.port,
        "admin",
        password=peer.password,
        known_hosts=str(peer.known_hosts),
        connect_timeout=10,
        command_timeout=10,
        allow_agent=False,
        **extra,
    )


def test_version_read_and_normalised_from_the_peer(peers):
    s = session(peers["user"], become=True, secret=peers["user"].enable_password)
    try:
        s.connect()
        out = s.send("show version")
    finally:
        s.close()
    facts = parsers.ios_version(out)
    assert (facts["version"], facts["version_raw"], facts["boot_mode"]) == (PEER_VERSION, PEER_VERSION, None)
    assert (facts["hostname"], facts["image"]) == ("fake-sw-01", "flash:c3750-ipservicesk9-mz.122-58.SE2.bin")
    assert stack.members("cisco_ios", {"show version": out}) == [
        {"id": "1", "role": "active", "version": PEER_VERSION, "state": None}
    ]


def test_configuration_the_peer_refuses_is_an_error_naming_the_lines(peers):
    """The peer answers an unknown configuration line so that netmiko cannot leave configuration mode:
    netmiko's ValueError must come out as a NetworkImageError naming the lines, not a traceback."""
    s = session(peers["enabled"])
    try:
        s.connect()
        with pytest.raises(NetworkImageError, match=r"configuration \['boot system flash:x.bin'\]") as info:
            s.config(["boot system flash:x.bin"])
        assert "exit configuration mode" in str(info.value)
    finally:
        s.close()


CAPTURES = REPO / "tests" / "fixtures" / "network" / "cisco_ios"


def test_the_peers_empty_tables_are_unreadable_and_fail_a_postcheck_that_had_rows(peers, tmp_path):
    """The peer answers 'show interfaces status', 'show lldp neighbors' and 'show ip bgp summary' with nothing:
    the snapshot says 'unreadable' (it used to say {} and {} == {} passed). Against a pre-check read from real
    captures (a switch with interfaces, neighbours and BGP peers), the post-check on the peer fails naming the
    commands; it fails even with fail_on_postcheck_diff false."""
    p = get_platform("cisco_ios")
    s = session(peers["enabled"])
    try:
        s.connect()
        snap = p.snapshot(s)
        assert snap == dict.fromkeys(("interfaces", "lldp", "bgp"), checks.UNREADABLE)
        before = {
            "interfaces": checks.interfaces_status(
                (CAPTURES / "show_interfaces_status/cisco_ios_show_interfaces_status.raw").read_text()
            ),
            "lldp": checks.lldp_neighbors(
                (CAPTURES / "show_lldp_neighbors/cisco_ios_show_lldp_neighbors.raw").read_text()
            ),
            "bgp": checks.bgp_neighbors(
                (CAPTURES / "show_ip_bgp_summary/cisco_ios_show_ip_bgp_summary.raw").read_text()
            ),
        }
        assert all(before.values())
        rb = Runbook(p, s, {"fail_on_postcheck_diff": False}, check_mode=False)
        with pytest.raises(NetworkImageError, match=r"post-check unreadable after the reload") as info:
            rb.postcheck(before)
        assert "'show interfaces status' answered nothing" in str(info.value)
        assert "'show ip bgp summary' answered nothing" in str(info.value)
        assert (
            info.value.details["command"] == "show ip bgp summary"
        )  # the first in check order (bgp, interfaces, lldp)
    finally:
        s.close()
