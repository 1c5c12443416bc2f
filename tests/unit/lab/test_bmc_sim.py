"""The BMC simulator speaks Redfish the way real BMCs do: auth, task monitors, states, resets."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request

import pytest

from lab.bmcsim import testing
from lab.bmcsim.images import ImageError, make_image, read_manifest, version_key


@pytest.fixture
def bmc(tmp_path):
    running = testing.start(tmp_path / "bmc", step_seconds=0.1, reset_seconds=1.0)
    yield running
    running.stop()


def call(bmc, path, body=None, token=None, method=None):
    req = urllib.request.Request(bmc.baseuri + path, method=method)
    if body is not None:
        req.data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    ctx = ssl.create_default_context(cafile=bmc.ca_path)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=5) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"{}")


def login(bmc):
    status, headers, _ = call(
        bmc, "/redfish/v1/SessionService/Sessions", {"UserName": "admin", "Password": "lab-bmc-password"}
    )
    assert status == 201
    return headers["X-Auth-Token"]


def test_service_root_is_open_but_resources_need_auth(bmc):
    assert call(bmc, "/redfish/v1/")[0] == 200
    status, _, body = call(bmc, "/redfish/v1/UpdateService")
    assert status == 401 and body["error"]["code"].endswith("NoValidSession")
    status, _, _ = call(bmc, "/redfish/v1/SessionService/Sessions", {"UserName": "admin", "Password": "x"})
    assert status == 401


def test_update_service_shape(bmc):
    _, _, svc = call(bmc, "/redfish/v1/UpdateService", token=login(bmc))
    action = svc["Actions"]["#UpdateService.SimpleUpdate"]
    assert action["@Redfish.OperationApplyTimeSupport"]["SupportedValues"] == [
        "Immediate",
        "OnReset",
        "AtMaintenanceWindowStart",
        "InMaintenanceWindowOnReset",
    ]
    assert svc["MultipartHttpPushUri"]


def test_task_monitor_moves_through_states_and_bmc_resets(bmc):
    token = login(bmc)
    status, headers, task = call(
        bmc,
        "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
        {"ImageURI": bmc.image_uri("BMC", "1.47.0")},
        token,
    )
    assert status == 202 and task["TaskState"] == "New"
    monitor = headers["Location"]
    seen, dropped = [], False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _, body = call(bmc, monitor, token=token)
        except (urllib.error.URLError, ConnectionError, ssl.SSLError):
            dropped = True
            time.sleep(0.2)
            continue
        if status == 401:  # sessions die with the reset
            token = login(bmc)
            continue
        if status == 404:  # so does the task monitor; the Task stays
            status, _, body = call(bmc, task["@odata.id"], token=token)
        if not seen or seen[-1] != body["TaskState"]:
            seen.append(body["TaskState"])
        if body["TaskState"] == "Completed":
            break
        time.sleep(0.05)
    assert seen[0] in ("New", "Starting") and "Running" in seen and seen[-1] == "Completed"
    assert dropped, "the BMC did not drop connections while it reset"
    assert bmc.version("BMC") == "1.47.0"
    ids = [m["MessageId"].rsplit(".", 1)[-1] for m in body["Messages"]]
    assert ids[-1] == "UpdateSuccessful" and "TransferringToComponent" in ids


def test_unsupported_apply_time_and_missing_image(bmc):
    token = login(bmc)
    status, _, body = call(
        bmc,
        "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
        {"ImageURI": "http://x/y", "@Redfish.OperationApplyTime": "Tomorrow"},
        token,
    )
    assert status == 400 and "ActionParameterValueNotInList" in body["error"]["code"]
    status, _, _ = call(bmc, "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate", {}, token)
    assert status == 400


def test_reset_without_an_image_activates_the_staged_one_and_transfers_are_counted(bmc):
    token = login(bmc)

    def transfers():
        return call(bmc, "/redfish/v1/UpdateService", token=token)[2]["Oem"]["Lab"]["ImageTransfers"]

    assert transfers() == 0
    _, _, task = call(
        bmc,
        "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
        {"ImageURI": bmc.image_uri("BIOS", "2.3.0"), "@Redfish.OperationApplyTime": "OnReset"},
        token,
    )
    deadline = time.monotonic() + 30
    while call(bmc, task["@odata.id"], token=token)[2]["TaskState"] != "Completed":
        assert time.monotonic() < deadline, "the OnReset task never completed"
        time.sleep(0.05)
    inventory = "/redfish/v1/UpdateService/FirmwareInventory/BIOS"
    assert call(bmc, inventory, token=token)[2]["Oem"]["Lab"]["StagedVersion"] == "2.3.0"
    assert bmc.version("BIOS") == "2.2.4" and transfers() == 1
    status, _, _ = call(bmc, "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", {"ResetType": "ForceRestart"}, token)
    assert status == 204 and bmc.version("BIOS") == "2.3.0"
    assert "Oem" not in call(bmc, inventory, token=token)[2] and transfers() == 1
    assert bmc.server.bmc.system_resets == 1


def test_baseline_fault_restores_versions(bmc):
    bmc.server.bmc.components["BIOS"]["version"] = "9.9"
    bmc.set_faults(baseline_epoch=1)
    call(bmc, "/redfish/v1/", token=None)
    login(bmc)
    assert bmc.version("BIOS") == "2.2.4"


def test_images_and_versions():
    assert read_manifest(make_image("BIOS", "2.3.0")) == {"component": "BIOS", "version": "2.3.0"}
    with pytest.raises(ImageError):
        read_manifest(b"garbage")
    assert version_key("1.10.0") > version_key("1.9.9")
