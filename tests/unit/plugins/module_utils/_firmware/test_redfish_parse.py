"""Redfish parsers against real and DMTF bodies (fixtures/SOURCES.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._firmware import redfish_parse as rp

FIX = Path(__file__).parent / "fixtures" / "redfish"


def load(name):
    return json.loads((FIX / name).read_text(encoding="utf-8"))


def test_software_inventory_dmtf_mockup():
    comp = rp.component(load("dmtf-public-rackmount1/UpdateService/FirmwareInventory/BMC/index.json"))
    assert comp["id"] == "BMC"
    assert comp["version"] == "1.45.455b66-rev4"
    assert comp["lowest_supported_version"] == "1.30.367a12-rev1"
    assert comp["updateable"] is True
    assert comp["related_item"] == ["/redfish/v1/Managers/BMC"]
    assert comp["uri"] == "/redfish/v1/UpdateService/FirmwareInventory/BMC"


def test_software_inventory_sushy_and_example():
    comp = rp.component(load("sushy/softwareinventory.json"))
    assert comp["id"] and comp["version"]
    example = rp.component(load("dmtf-dsp2046-examples/SoftwareInventory-v1-example.json"))
    assert example["related_item"] == ["/redfish/v1/Managers/1"]


@pytest.mark.parametrize(
    "name, members",
    [
        ("dmtf-public-rackmount1/UpdateService/FirmwareInventory/index.json", 3),
        ("sushy/firmwareinventory_collection.json", 3),
    ],
)
def test_inventory_members(name, members):
    ids = rp.member_ids(load(name))
    assert len(ids) == members
    assert all(i.startswith("/redfish/v1/UpdateService/FirmwareInventory/") for i in ids)


def test_update_service_with_apply_time_support_and_multipart():
    svc = rp.update_service(load("bmclib-redfishwrapper/updateservice_with_multipart.json"))
    assert svc["simple_update"] == "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"
    assert svc["multipart_push_uri"] == "/redfish/v1/UpdateService/MultipartUpload"
    assert svc["apply_times"] == ["Immediate", "OnReset"]
    assert svc["apply_times_advertised"] is True
    assert "HTTPS" in svc["transfer_protocols"]


def test_update_service_push_uri_options_are_for_http_push_uri_only():
    svc = rp.update_service(load("dmtf-public-rackmount1/UpdateService/index.json"))
    assert svc["http_push_uri"] == "/FWUpdate"
    assert svc["multipart_push_uri"] is None
    assert "AtMaintenanceWindowStart" in svc["http_push_apply_times"]
    # SimpleUpdate advertises nothing there: Immediate only, and no annotation is sent
    assert svc["apply_times"] == ["Immediate"] and svc["apply_times_advertised"] is False
    assert svc["maintenance_window"]["MaintenanceWindowDurationInSeconds"] == 600


@pytest.mark.parametrize("name", ["sushy/updateservice.json", "dmtf-dsp2046-examples/UpdateService-v1-example.json"])
def test_update_service_without_apply_times_defaults_to_immediate(name):
    svc = rp.update_service(load(name))
    assert svc["apply_times"] == ["Immediate"]
    assert svc["apply_times_advertised"] is False
    assert svc["simple_update"]


def test_update_service_dell_oem():
    svc = rp.update_service(load("bmclib-dell/updateservice.json"))
    assert svc["apply_times"] == ["Immediate", "OnReset"]


@pytest.mark.parametrize(
    "name, state, done, ok, percent",
    [
        ("sushy/task_monitor.json", "Completed", True, True, 100),
        ("sushy/task2.json", "Pending", False, False, 55),
        ("bmclib-redfishwrapper/tasks/tasks_1_running.json", "Running", False, False, 100),
        ("bmclib-redfishwrapper/tasks/tasks_1_completed.json", "Completed", True, True, 100),
        ("dmtf-public-rackmount1/TaskService/Tasks/545/index.json", "Completed", True, True, None),
        ("sushy-dell/task.json", "Starting", False, False, 0),
    ],
)
def test_task_states(name, state, done, ok, percent):
    summary = rp.task(load(name))
    assert (summary["state"], summary["done"], summary["ok"], summary["percent"]) == (state, done, ok, percent)


def test_task_messages_skip_empty_entries():
    # bmclib's running task carries one message whose fields are all empty strings
    assert rp.task(load("bmclib-redfishwrapper/tasks/tasks_1_running.json"))["messages"] == []
    msgs = rp.task(load("sushy/task_monitor.json"))["messages"]
    assert rp.message_ids(msgs) == ["PropertyNotWriteable"]
    assert "SKU" in rp.message_text(msgs)


def test_error_with_extended_info_list():
    msgs = rp.messages(load("sushy/error.json"))
    assert [m["id"] for m in msgs] == [
        "Base.1.0.PropertyValueNotInList",
        "Base.1.0.PropertyNotWriteable",
        "Base.1.0.MalformedJSON",
    ]


def test_error_with_single_extended_info_object():
    msgs = rp.messages(load("sushy/error_single_ext_info.json"))
    assert len(msgs) == 1 and msgs[0]["id"] == "Base.1.5.GeneralError"


def test_dell_message_args_as_string():
    msgs = rp.messages(load("sushy-dell/error_pending_job.json"))
    assert msgs[0]["id"] == "IDRAC.2.8.LC068"
    assert msgs[0]["args"] == []


def test_supermicro_accepted_body_is_not_a_task():
    body = load("bmclib-redfishwrapper/updateservice_unexpected_response.json")
    assert "TaskState" not in body
    assert rp.messages(body) == []
