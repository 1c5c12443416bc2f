"""everylayer.patch.firmware (backend redfish) through ansible-playbook against DMTF's published Redfish mockups,
served read-only (tests/helpers/redfish_mockups.py; bodies and their sources in tests/fixtures/redfish).

A mockup is a service nobody can update: scans must read it as a person reads its JSON, check mode must forecast
from what it read, and an update must fail at once with the service's own refusal (HTTP 405), never crash or wait.
"""

from __future__ import annotations

import sys

import pytest
from firmware_driver import Driver
from helpers.change_record import validate
from helpers.redfish_mockups import MOCKUPS, serve

SIMPLE_UPDATE = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"
BLADES = ["529QB9450R6", "529QB9451R6", "529QB9452R6", "529QB9453R6"]
MANAGERS = ["MultiBladeBMC", "Blade1BMC", "Blade2BMC", "Blade3BMC", "Blade4BMC"]


@pytest.fixture(scope="module")
def rackmount():
    server = serve(MOCKUPS / "public-rackmount1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bladed():
    server = serve(MOCKUPS / "public-bladed")
    yield server
    server.stop()


def driver(tmp_path, server):
    hostvars = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "everylayer_bmc_baseuri": server.baseuri,
    }
    return Driver(tmp_path, "mockup", hostvars)


def args(**extra) -> dict:
    base = {
        "backend": "redfish",
        "baseuri": "{{ everylayer_bmc_baseuri }}",
        "username": "reader",
        "password": "mockups-take-any-password",
        "auth": "basic",
        "use_proxy": False,
        "poll_interval": 0.2,
        "timeout": 20,
    }
    base.update(extra)
    return base


def writes(server):
    return [r for r in server.requests if r[0] != "GET"]


def test_rackmount_scan_forecast_and_refused_update(rackmount, tmp_path):
    update = args(state="updated", components=["BMC"], version="1.46.0", image_uri="http://127.0.0.1:9/bmc.bin")
    scan, only_bios, check, refused = driver(tmp_path, rackmount).play(
        args(), args(components=["BIOS"]), dict(update, _check=True), update
    )
    assert {d["id"]: (d["version"], d["source"]) for d in scan["devices"]} == {
        "BIOS": ("P79 v1.45", "firmware_inventory"),
        "BMC": ("1.45.455b66-rev4", "firmware_inventory"),
        "SS": ("2.50", "firmware_inventory"),
    }
    targets = {d["id"]: d["target_uri"] for d in scan["devices"]}
    assert targets["BMC"] == "/redfish/v1/UpdateService/FirmwareInventory/BMC"
    assert [d["id"] for d in only_bios["devices"]] == ["BIOS"]
    assert check["changed"] and check["pending"][0]["before"] == "1.45.455b66-rev4"
    assert check["pending"][0]["after"] == "1.46.0"
    for result in (scan, only_bios, check):
        validate(result)
    # one POST (the real attempt), none from check mode; the refusal is the service's own words
    assert writes(rackmount) == [("POST", SIMPLE_UPDATE)]
    assert refused.get("failed") and refused["changed"] is False
    assert "HTTP 405" in refused["msg"] and "read-only" in refused["msg"], refused["msg"]
    assert "Traceback" not in refused["msg"]


def test_bladed_reads_bios_and_manager_versions_and_refuses_updates_plainly(bladed, tmp_path):
    bios = "BIOS-529QB9450R6"
    update = args(state="updated", components=[bios], version="P86 v1.60", image_uri="http://127.0.0.1:9/b.bin")
    scan, check, refused, unknown = driver(tmp_path, bladed).play(
        args(), dict(update, _check=True), update, args(components=["BIOS"])
    )
    assert {d["id"]: (d["version"], d["source"]) for d in scan["devices"]} == {
        **{f"BIOS-{b}": ("P86 v1.58 (10/15/2015)", "system_bios") for b in BLADES},
        **{f"BMC-{m}": ("1.00", "manager") for m in MANAGERS},
    }
    assert {d["id"]: d["target_uri"] for d in scan["devices"]}[bios] == "/redfish/v1/Systems/529QB9450R6"
    validate(scan)
    # the ServiceRoot links no UpdateService: check mode and the real run both say so, nothing is sent
    for result in (check, refused):
        assert result.get("failed") and result["changed"] is False
        assert "links no UpdateService" in result["msg"], result["msg"]
    assert writes(bladed) == []
    assert not [path for _method, path in bladed.requests if "UpdateService" in path]
    # several systems: the short id is not guessed, the message lists what there is
    assert unknown.get("failed") and "BIOS-529QB9451R6 (system_bios)" in unknown["msg"], unknown["msg"]
