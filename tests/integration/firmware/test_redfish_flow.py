"""everylayer.patch.firmware (backend redfish) through ansible-playbook against a BMC simulator."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from firmware_driver import PLAYBOOKS, bmc_hostvars, connection, run_playbook
from helpers.change_record import validate


def test_lifecycle_playbook(tmp_path, bmc):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"test-bmc": bmc_hostvars(bmc)}}}))
    results = tmp_path / "results.json"
    run_playbook(
        tmp_path, PLAYBOOKS / "redfish_lifecycle.yml", inventory, {"target": "test-bmc", "results_file": str(results)}
    )
    data = json.loads(results.read_text())
    for name in ("scan", "check_update", "update", "again", "check_again", "rolled_back", "final"):
        validate(data[name])
    assert data["update"]["diff"]["before"] == "BMC 1.45.0\n" and data["update"]["diff"]["after"] == "BMC 1.46.0\n"
    assert data["update"]["rollback"]["data"]["components"]["BMC"]["version"] == "1.45.0"
    assert data["rolled_back"]["changes"][0]["before"] == "1.46.0"
    assert bmc.version("BMC") == "1.45.0"
    assert "lab-bmc-password" not in (tmp_path / "output.txt").read_text()


def test_multipart_push_and_on_reset(redfish, bmc):
    push, staged, activated = redfish.play(
        connection(state="updated", components=["NIC1"], version="25.6.0", image_path=bmc.image_path("NIC1", "25.6.0")),
        connection(
            state="updated",
            components=["BIOS"],
            version="2.3.0",
            apply_time="OnReset",
            image_uri=bmc.image_uri("BIOS", "2.3.0"),
        ),
        connection(
            state="updated",
            components=["BIOS"],
            version="2.3.0",
            apply_time="OnReset",
            reset=True,
            image_uri=bmc.image_uri("BIOS", "2.3.0"),
        ),
    )
    assert push["changes"][0]["after"] == "25.6.0" and bmc.version("NIC1") == "25.6.0"
    assert staged["changed"] and staged["staged"] and staged["reboot_required"]
    assert staged["changes"] == [] and staged["pending"][0]["after"] == "2.3.0"
    assert activated["changes"][0]["after"] == "2.3.0" and bmc.version("BIOS") == "2.3.0"
    for result in (push, staged, activated):
        validate(result)


def test_maintenance_window(redfish, bmc):
    start = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0).isoformat()
    (scheduled,) = redfish.play(
        connection(
            state="updated",
            components=["NIC1"],
            version="25.6.0",
            apply_time="AtMaintenanceWindowStart",
            maintenance_window_start=start,
            maintenance_window_duration=600,
            image_uri=bmc.image_uri("NIC1", "25.6.0"),
        )
    )
    assert scheduled["scheduled"] and scheduled["apply_time"] == "AtMaintenanceWindowStart"
    assert scheduled["pending"][0]["after"] == "25.6.0"
    validate(scheduled)
    # the BMC applies it on its own once the window opens; a scan then shows the new version
    deadline = time.monotonic() + 60
    while bmc.version("NIC1") != "25.6.0" and time.monotonic() < deadline:
        time.sleep(0.2)
    (later,) = redfish.play(connection(components=["NIC1"]))
    assert later["devices"][0]["version"] == "25.6.0"


FAULTS = {
    "task-fail-at": ({"task_fail_at": 70}, "ApplyFailed", "2.2.4"),
    "image-rejected": ({"image_rejected": True}, "VerificationFailed", "2.2.4"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_task_faults(redfish, bmc, fault):
    faults, message, version = FAULTS[fault]
    bmc.set_faults(**faults)
    (result,) = redfish.play(
        connection(state="updated", components=["BIOS"], version="2.3.0", image_uri=bmc.image_uri("BIOS", "2.3.0"))
    )
    assert result["failed"] and message in result["msg"] and "stays at 2.2.4" in result["msg"]
    assert result["task"]["state"] == "Exception"
    assert bmc.version("BIOS") == version


def test_bmc_never_comes_back(redfish, bmc):
    bmc.set_faults(never_back=True)
    (result,) = redfish.play(
        connection(
            state="updated", components=["BMC"], version="1.46.0", image_uri=bmc.image_uri("BMC", "1.46.0"), timeout=4
        )
    )
    assert result["failed"] and "did not come back" in result["msg"] and result["bmc_reset_seen"]
    bmc.set_faults()  # the lab's "clear": the BMC returns, with the new image active
    (scan,) = redfish.play(connection(components=["BMC"]))
    assert scan["devices"][0]["version"] == "1.46.0"


def test_forbidden_downgrade_and_refusals(redfish, bmc):
    below, plain, tls, insecure = redfish.play(
        connection(state="rolled_back", components=["BMC"], version="1.20.0", image_uri=bmc.image_uri("BMC", "1.20.0")),
        connection(state="updated", components=["BIOS"], version="2.1.0", image_uri=bmc.image_uri("BIOS", "2.1.0")),
        connection(ca_path=None),
        connection(ca_path=None, validate_certs=False),
    )
    assert below["failed"] and "LowestSupportedVersion is 1.30.0" in below["msg"]
    assert plain["failed"] and "Refusing to downgrade" in plain["msg"]
    assert tls["failed"] and "TLS verification" in tls["msg"]
    assert insecure["failed"] is False and insecure["devices"]
    assert bmc.version("BMC") == "1.45.0" and bmc.version("BIOS") == "2.2.4"
    assert bmc.server.bmc.tasks == {}
