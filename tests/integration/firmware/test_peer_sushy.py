"""everylayer.patch.firmware (backend redfish) through ansible-playbook against sushy-tools, a Redfish service
this project did not write (OpenStack's emulator on libvirt's test driver; lab/peers/sushy.py).

What the peer does, and so what these tests expect: BIOS only as ``ComputerSystem.BiosVersion`` (1.0.0 at start),
the BMC only as ``Manager.FirmwareVersion`` (1.00); SimpleUpdate takes the ComputerSystem URI in ``Targets`` and
bumps BiosVersion by one minor version (it never fetches the image), answers 204 with a Task that is Completed,
refuses a Manager target with HTTP 400; no SessionService (basic auth). One emulator serves the module.
"""

from __future__ import annotations

import sys

import pytest
from firmware_driver import Driver
from helpers.change_record import validate

from lab.peers import sushy

# The emulator never downloads the image: any URL does, and nothing listens on port 9.
IMAGE = "http://127.0.0.1:9/bios-{}.bin"


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    try:
        running = sushy.start(tmp_path_factory.mktemp("sushy"))
    except sushy.PeerError as exc:
        pytest.fail(f"the sushy-tools peer did not start: {exc}")
    yield running
    running.stop()


def hostvars(peer) -> dict:
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "everylayer_bmc_baseuri": peer.baseuri,
        "everylayer_bmc_username": peer.username,
        "everylayer_bmc_password": peer.password,
        "everylayer_bmc_ca_path": peer.ca_path,
    }


def args(**extra) -> dict:
    base = {
        "backend": "redfish",
        "baseuri": "{{ everylayer_bmc_baseuri }}",
        "username": "{{ everylayer_bmc_username }}",
        "password": "{{ everylayer_bmc_password }}",
        "ca_path": "{{ everylayer_bmc_ca_path }}",
        "auth": "basic",
        "use_proxy": False,
        "poll_interval": 0.2,
        "timeout": 20,
    }
    base.update(extra)
    return base


def test_sushy_tools_bios_lifecycle(peer, tmp_path):
    """scan -> check mode -> update -> idempotent re-run -> check mode again -> roll back (refused by the peer)."""
    update = args(
        state="updated",
        components=["BIOS"],
        version="1.1.0",
        image_uri=IMAGE.format("1.1.0"),
        rollback_image=IMAGE.format("1.0.0"),
    )
    scan, check, updated, again, check_again, rolled_back = Driver(tmp_path, "sushy", hostvars(peer)).play(
        args(),
        dict(update, _check=True),
        update,
        update,
        dict(update, _check=True),
        args(state="rolled_back", rollback="{{ r2.rollback }}"),
    )
    devices = {d["id"]: d for d in scan["devices"]}
    assert {k: (d["version"], d["source"]) for k, d in devices.items()} == {
        "BIOS": ("1.0.0", "system_bios"),
        "BMC": ("1.00", "manager"),
    }
    assert devices["BIOS"]["target_uri"] == peer.system_uri and devices["BMC"]["target_uri"] == peer.manager_uri

    assert check["changed"] and check["pending"][0]["before"] == "1.0.0" and check["pending"][0]["after"] == "1.1.0"
    assert updated["changed"] and not updated.get("failed"), updated.get("msg")
    assert [(c["component"], c["before"], c["after"]) for c in updated["changes"]] == [("BIOS", "1.0.0", "1.1.0")]
    assert updated["task"]["state"] == "Completed"
    assert {d["id"]: d["version"] for d in updated["devices"]}["BIOS"] == "1.1.0"
    assert updated["rollback"]["data"]["components"]["BIOS"]["version"] == "1.0.0"
    assert again["changed"] is False and not again.get("failed")
    assert check_again["changed"] is False
    for result in (scan, check, updated, again, check_again):
        validate(result)

    # sushy-tools cannot go back: its SimpleUpdate only bumps, so the "rollback" lands on a third version.
    # The module must say so at once (not wait out its timeout) and report the move it caused as a change.
    assert rolled_back.get("failed"), rolled_back
    assert "1.2.0" in rolled_back["msg"], rolled_back["msg"]
    assert rolled_back["changed"] is True
    assert [(c["before"], c["after"]) for c in rolled_back["changes"]] == [("1.1.0", "1.2.0")]
    assert peer.bios_version() == "1.2.0"


def test_sushy_tools_refusals_are_clear(peer, tmp_path):
    """The Manager is not an update target there; sessions do not exist there; a wrong password is said so."""
    bmc_update, session_scan, wrong_password = Driver(tmp_path, "sushy", hostvars(peer)).play(
        args(state="updated", components=["BMC"], version="1.01", image_uri=IMAGE.format("bmc")),
        args(auth="session"),
        args(password="not-the-password"),
    )
    assert bmc_update.get("failed") and bmc_update["changed"] is False
    assert "HTTP 400" in bmc_update["msg"] and "Manager is not currently a supported Target" in bmc_update["msg"]
    assert "Traceback" not in bmc_update["msg"]
    assert peer.get(peer.manager_uri)["FirmwareVersion"] == "1.00"
    assert session_scan.get("failed")
    assert "auth" in session_scan["msg"] and "basic" in session_scan["msg"], session_scan["msg"]
    assert wrong_password.get("failed") and "refused the credentials" in wrong_password["msg"], wrong_password["msg"]
    assert "not-the-password" not in wrong_password["msg"] and peer.password not in wrong_password["msg"]
