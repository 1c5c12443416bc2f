"""everylayer.patch.firmware against the running lab: its BMCs (service bmc) and the real fwupd inside a
Linux lab host (service fwupd), reached over SSH. Faults go through ``python -m lab fault``; every test
puts the lab back (baseline BMC, restarted fwupd) when it ends."""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from firmware_driver import PLAYBOOKS, REPO, Driver, connection, run_playbook
from helpers.change_record import validate

from lab.services.fwupd import TEST_DEVICE, pick_host

pytestmark = pytest.mark.lab
GENERATED = Path(os.environ.get("EVERYLAYER_LAB_INVENTORY_DIR") or REPO / "inventories" / "lab" / "generated")
BMC = "lab-bmc-02"


def lab(*words: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "lab", *words], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, f"python -m lab {' '.join(words)} failed: {proc.stdout}{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def lab_assets():
    lab_json = GENERATED / "lab.json"
    if not lab_json.exists():
        pytest.fail(f"{lab_json} is missing: bring the lab up first (python -m lab up)")
    assets = {a["name"]: a for a in json.loads(lab_json.read_text())["assets"]}
    if BMC not in assets:
        pytest.fail(f"the lab has no {BMC}: is the bmc service running? (python -m lab status)")
    return assets


@pytest.fixture
def lab_bmc(lab_assets):
    lab("fault", "bmc", "baseline", BMC)
    yield lab_assets[BMC]
    lab("fault", "bmc", "baseline", BMC)


@pytest.fixture
def fwupd_host(lab_assets):
    hosts = {name: None for name, a in lab_assets.items() if a["platform"].get("package_manager")}
    host = pick_host(hosts)
    if host is None:
        pytest.fail("the lab has no Linux host for fwupd")
    lab("fault", "fwupd", "restart", host)  # the test device starts at 1.2.2
    yield host
    lab("fault", "fwupd", "restart", host)


def test_lab_bmc_lifecycle(tmp_path, lab_bmc):
    results = tmp_path / "results.json"
    run_playbook(
        tmp_path,
        PLAYBOOKS / "redfish_lifecycle.yml",
        GENERATED / "hosts.yml",
        {"target": BMC, "results_file": str(results)},
    )
    data = json.loads(results.read_text())
    assert data["update"]["changes"][0]["after"] == "1.46.0"
    assert data["final"]["devices"][0]["version"] == "1.45.0"
    validate(data["rolled_back"])


def test_lab_bmc_fault_from_the_cli(tmp_path, lab_bmc):
    lab("fault", "bmc", "task-fail-at", BMC, "55")
    driver = Driver(tmp_path, BMC, {}, inventory=GENERATED / "hosts.yml")
    image = "{{ everylayer_firmware_image_base }}/bios-2.3.0.bin"
    failed, scan = driver.play(
        connection(state="updated", components=["BIOS"], version="2.3.0", image_uri=image, poll_interval=0.3),
        connection(components=["BIOS"]),
    )
    assert failed["failed"] and "ApplyFailed" in failed["msg"] and failed["task"]["percent"] == 40
    assert scan["devices"][0]["version"] == "2.2.4"
    lab("fault", "clear", "bmc", BMC)
    (ok,) = driver.play(
        connection(state="updated", components=["BIOS"], version="2.3.0", image_uri=image, poll_interval=0.3)
    )
    assert ok["changes"][0]["after"] == "2.3.0"


def fwupd(**extra):
    return {"backend": "fwupd", **extra}


def test_fwupd_lifecycle_over_ssh(tmp_path, fwupd_host):
    driver = Driver(tmp_path, fwupd_host, {}, inventory=GENERATED / "hosts.yml")
    dev = [TEST_DEVICE]
    scan, check, to_123, latest, again, check_again, _ = driver.play(
        fwupd(),
        fwupd(state="updated", components=dev, _check=True),
        fwupd(state="updated", components=dev, version="1.2.3"),
        fwupd(state="updated", components=dev),
        fwupd(state="updated", components=dev),
        fwupd(state="updated", components=dev, _check=True),
        fwupd(state="scanned"),
    )
    for result in (scan, check, to_123, latest, again, check_again):
        assert not result.get("failed"), result.get("msg")
        validate(result)
    assert scan["pending"] == [
        {
            "component": TEST_DEVICE,
            "kind": "firmware",
            "before": "1.2.2",
            "after": "1.2.4",
            "advisories": [],
            "severity": None,
            "reboot_required": False,
        }
    ]
    assert check["changed"] and check["changes"] == [] and check["diff"]["after"].endswith("1.2.4\n")
    assert (to_123["changes"][0]["before"], to_123["changes"][0]["after"]) == ("1.2.2", "1.2.3")
    assert (latest["changes"][0]["before"], latest["changes"][0]["after"]) == ("1.2.3", "1.2.4")
    assert latest["rollback"]["data"]["components"][TEST_DEVICE]["version"] == "1.2.3"
    assert latest["rollback"]["data"]["components"][TEST_DEVICE]["image"]
    assert again["changed"] is False and check_again["changed"] is False
    back, too_far, final = driver.play(
        fwupd(state="rolled_back", rollback=latest["rollback"]),
        fwupd(state="rolled_back", components=dev, version="1.2.2"),
        fwupd(components=dev),
    )
    validate(back)
    assert (back["changes"][0]["before"], back["changes"][0]["after"]) == ("1.2.4", "1.2.3")
    assert too_far["failed"] and "no release 1.2.2" in too_far["msg"]
    assert final["devices"][0]["version"] == "1.2.3"
    assert (final["history"][0]["from_version"], final["history"][0]["to_version"]) == ("1.2.4", "1.2.3")


def test_fwupd_daemon_down(tmp_path, fwupd_host):
    lab("fault", "fwupd", "daemon-down", fwupd_host)
    driver = Driver(tmp_path, fwupd_host, {}, inventory=GENERATED / "hosts.yml")
    (down,) = driver.play(fwupd())
    assert down["failed"] and "fwupdmgr get-devices failed" in down["msg"]
    lab("fault", "fwupd", "clear", fwupd_host)
    (up,) = driver.play(fwupd())
    assert up["devices"][0]["version"] == "1.2.2"


def test_apply_role_dispatches_the_firmware_layer(tmp_path, lab_bmc):
    results = tmp_path / "results.json"
    run_playbook(
        tmp_path,
        PLAYBOOKS / "apply_role_firmware.yml",
        GENERATED / "hosts.yml",
        {"target": BMC, "results_file": str(results)},
    )
    data = json.loads(results.read_text())
    validate(data["apply"])
    assert data["apply"]["layer"] == "firmware"
    assert (data["apply"]["changes"][0]["before"], data["apply"]["changes"][0]["after"]) == ("2.2.4", "2.3.0")
    assert data["rolled_back"]["changes"][0]["after"] == "2.2.4"


def image_transfers(asset):
    """The lab BMC's count of update requests that carried or pointed at an image (Oem.Lab.ImageTransfers)."""
    hostvars = asset["vars"]
    request = urllib.request.Request(hostvars["everylayer_bmc_baseuri"] + "/redfish/v1/UpdateService")
    user_pass = f"{hostvars['everylayer_bmc_username']}:{hostvars['everylayer_bmc_password']}"
    request.add_header("Authorization", "Basic " + base64.b64encode(user_pass.encode()).decode())
    context = ssl.create_default_context(cafile=hostvars["everylayer_bmc_ca_path"])
    with urllib.request.urlopen(request, context=context, timeout=10) as resp:  # noqa: S310 - https from lab.json
        return json.loads(resp.read())["Oem"]["Lab"]["ImageTransfers"]


def test_lab_bmc_activates_a_staged_bios_without_sending_it_again(tmp_path, lab_bmc):
    driver = Driver(tmp_path, BMC, {}, inventory=GENERATED / "hosts.yml")
    base = "{{ everylayer_firmware_image_base }}"
    (staged,) = driver.play(
        connection(
            state="updated",
            components=["BIOS"],
            version="2.3.0",
            image_uri=f"{base}/bios-2.3.0.bin",
            apply_time="OnReset",
            poll_interval=0.3,
        )
    )
    assert not staged.get("failed"), staged.get("msg")
    assert staged["staged"] and staged["reboot_required"] and staged["changes"] == []
    transfers = image_transfers(lab_bmc)
    activate = connection(
        state="activated", components=["BIOS"], version="2.3.0", rollback_image=f"{base}/bios-2.2.4.bin"
    )
    check, activated, again, check_again, scan = driver.play(
        dict(activate, _check=True), activate, activate, dict(activate, _check=True), connection(components=["BIOS"])
    )
    for result in (check, activated, again, check_again, scan):
        assert not result.get("failed"), result.get("msg")
        validate(result)
    assert check["changed"] and check["changes"] == [] and check["pending"][0]["after"] == "2.3.0"
    assert activated["changed"] and activated["state"] == "activated" and activated["reboot_required"] is False
    assert [(c["component"], c["before"], c["after"]) for c in activated["changes"]] == [("BIOS", "2.2.4", "2.3.0")]
    assert activated["rollback"]["data"]["components"]["BIOS"]["version"] == "2.2.4"
    assert activated["rollback"]["data"]["components"]["BIOS"]["image"].endswith("/bios-2.2.4.bin")
    assert again["changed"] is False and again["changes"] == []
    assert check_again["changed"] is False and check_again["pending"] == []
    assert scan["devices"][0]["version"] == "2.3.0"
    assert image_transfers(lab_bmc) == transfers, "state=activated sent the image to the BMC again"
