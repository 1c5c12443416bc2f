"""Busy refusal, apply times, honest outcomes and the BMC's own words in errors (scripted answers and recorded
vendor bodies: fixtures/SOURCES.md)."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._firmware import record
from ansible_collections.everylayer.patch.plugins.module_utils._firmware import redfish_parse as rp
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.common import FirmwareError
from scripted_bmc import (
    INVENTORY,
    MONITOR,
    SIMPLE,
    TASK,
    UPDATE,
    ScriptedBmc,
    backend,
    load,
    msg,
    task_body,
    update,
    update_service,
)

ACCEPTED = (202, None, {"Location": MONITOR})
TASKS = "/redfish/v1/TaskService/Tasks"


# -- busy and in-progress: refused before anything is sent -------------------------------------------------
@pytest.mark.parametrize(
    "extra, words",
    [
        ({"HttpPushUriTargetsBusy": True}, "HttpPushUriTargetsBusy"),
        ({"HttpPushUriOptionsBusy": True}, "HttpPushUriOptionsBusy"),
        ({"Status": {"State": "Updating", "Health": "OK"}}, "Status.State is Updating"),
        ({"Oem": {"Hpe": {"State": "Updating", "FlashProgressPercent": 42}}}, "Oem.Hpe.State is Updating (42%)"),
        ({"Oem": {"Hpe": {"State": "Writing"}}}, "Oem.Hpe.State is Writing"),
    ],
)
def test_busy_update_service_is_refused_before_sending(extra, words):
    bmc = ScriptedBmc(service=update_service(**extra))
    with pytest.raises(FirmwareError, match="busy") as err:
        backend(bmc).update(update())
    assert words in str(err.value) and bmc.posts(SIMPLE) == []


def test_idle_hpe_state_is_not_busy():
    assert rp.busy_reasons(load("proliantutils/update_service.json")) == []


def test_recorded_hpe_update_service_reads_its_state():
    body = load("proliantutils/update_service.json")
    body["Oem"]["Hpe"]["State"] = "Updating"
    assert rp.busy_reasons(body) == ["Oem.Hpe.State is Updating"]


def test_running_update_task_is_refused_before_sending():
    bmc = ScriptedBmc()
    bmc.route(
        "GET",
        "/redfish/v1",
        (200, {"UpdateService": {"@odata.id": UPDATE}, "Tasks": {"@odata.id": "/redfish/v1/TaskService"}}, {}),
    )
    bmc.route("GET", "/redfish/v1/TaskService", (200, {"Tasks": {"@odata.id": TASKS}}, {}))
    bmc.route("GET", TASKS, (200, {"Members": [{"@odata.id": TASKS + "/7"}, {"@odata.id": TASK}]}, {}))
    bmc.route("GET", TASKS + "/7", (200, {"Id": "7", "Name": "Export config", "TaskState": "Running"}, {}))
    bmc.route("GET", TASK, (200, task_body("Running", percent=30, Name="Firmware Update"), {}))
    with pytest.raises(FirmwareError, match=r"busy.*task 1 \(Firmware Update\) is Running at 30%"):
        backend(bmc).update(update())
    assert bmc.posts(SIMPLE) == []


@pytest.mark.parametrize(
    "body, busy",
    [
        (load("bmclib-redfishwrapper/tasks/tasks_1_running.json"), False),  # BIOS Verify: not an update
        ({"Name": "x", "TaskState": "Running", "Payload": {"TargetUri": SIMPLE}}, True),
        ({"Name": "Job", "TaskState": "Running", "Oem": {"Dell": {"JobType": "FirmwareUpdate"}}}, True),
        ({"Name": "Firmware Update", "TaskState": "Completed"}, False),
        ({"Name": "Firmware Update", "TaskState": "Pending"}, False),  # waits for a window or reset: not running
    ],
)
def test_which_tasks_are_running_updates(body, busy):
    assert rp.running_update(body) is busy


# -- apply time: from the action's own annotation ----------------------------------------------------------
def rackmount_bmc():
    # DMTF public-rackmount1: apply times only in HttpPushUriOptions, SimpleUpdate advertises none
    service = load("dmtf-public-rackmount1/UpdateService/index.json")
    service["FirmwareInventory"] = {"@odata.id": INVENTORY}
    return ScriptedBmc(versions=["1.0", "2.0"], service=service)


def test_simple_update_does_not_take_apply_times_from_http_push_uri_options():
    svc = rp.update_service(load("dmtf-public-rackmount1/UpdateService/index.json"))
    assert svc["simple_update_apply_times"] == []
    bmc = rackmount_bmc()
    with pytest.raises(FirmwareError, match="SimpleUpdate action advertises no apply times"):
        backend(bmc).update(update(apply_time="OnReset"))
    assert bmc.posts(SIMPLE) == []


def test_no_annotation_where_none_is_advertised():
    bmc = rackmount_bmc()
    bmc.route("POST", SIMPLE, (204, None, {}))
    out = backend(bmc).update(update())
    (sent,) = bmc.posts(SIMPLE)
    assert "@Redfish.OperationApplyTime" not in sent and out["changes"][0]["after"] == "2.0"


def test_multipart_apply_times_come_from_its_own_annotation():
    body = {
        "MultipartHttpPushUri": "/redfish/v1/UpdateService/update-multipart",
        "MultipartHttpPushUri@Redfish.OperationApplyTimeSupport": {"SupportedValues": ["OnReset", "Immediate"]},
        "HttpPushUriOptions": {
            "HttpPushUriApplyTime": {"ApplyTime@Redfish.AllowableValues": ["AtMaintenanceWindowStart"]}
        },
    }
    svc = rp.update_service(body)
    assert svc["multipart_apply_times"] == ["OnReset", "Immediate"] and svc["simple_update_apply_times"] == []


def test_on_reset_is_staged_only_when_the_bmc_says_so():
    bmc = ScriptedBmc(versions=["1.0"])
    bmc.route("POST", SIMPLE, ACCEPTED)
    bmc.route("GET", MONITOR, (200, task_body("Completed", percent=100), {}))
    out = backend(bmc).update(update(apply_time="OnReset"))
    assert out["changed"] and out.get("staged") is False and out["pending"][0]["after"] == "2.0"
    assert out["reboot_required"] and "did not report" in out["msg"]
    bmc = ScriptedBmc(versions=["1.0"])
    bmc.route("POST", SIMPLE, ACCEPTED)
    done = task_body("Completed", percent=100, messages=[msg("Update.1.0.AwaitToActivate", "awaiting reset")])
    bmc.route("GET", MONITOR, (200, done, {}))
    assert backend(bmc).update(update(apply_time="OnReset"))["staged"] is True


# -- honest outcome ------------------------------------------------------------------------------------------
def test_failed_task_whose_component_moved_reports_the_change():
    bmc = ScriptedBmc(versions=["1.0", "1.5"])
    bmc.route("POST", SIMPLE, ACCEPTED)
    bmc.route("GET", MONITOR, (200, task_body("Exception", "Critical", 80, [msg("Update.1.0.ApplyFailed", "x")]), {}))
    with pytest.raises(FirmwareError, match=r"BIOS now runs 1\.5") as err:
        backend(bmc).update(update(rollback_image="http://images/bios-1.0.bin"))
    result = record.failure_result("redfish", "updated", err.value.details["outcome"])
    assert result["changed"] is True
    assert [(c["component"], c["before"], c["after"]) for c in result["changes"]] == [("BIOS", "1.0", "1.5")]
    assert result["rollback"]["data"]["components"]["BIOS"]["version"] == "1.0"
    assert "msg" not in result and "layer" in result


def test_a_third_version_ends_the_wait_early():
    bmc = ScriptedBmc(versions=["1.0", "1.0", "1.7"])
    bmc.route("POST", SIMPLE, ACCEPTED)
    bmc.route("GET", MONITOR, (200, task_body("Completed", percent=100), {}))
    back = backend(bmc, timeout=1800)
    with pytest.raises(FirmwareError, match=r"BIOS now runs 1\.7, neither 1\.0 nor 2\.0") as err:
        back.update(update())
    assert back.fake_clock.now < 60 and err.value.details["outcome"]["changed"] is True


def test_failed_task_without_movement_reports_no_change():
    bmc = ScriptedBmc(versions=["1.0"])
    bmc.route("POST", SIMPLE, ACCEPTED)
    bmc.route("GET", MONITOR, (200, task_body("Exception", "Critical", 80), {}))
    with pytest.raises(FirmwareError, match=r"stays at 1\.0") as err:
        backend(bmc).update(update())
    assert "outcome" not in err.value.details


# -- the BMC's own words ------------------------------------------------------------------------------------
def test_error_message_kept_beside_message_ids():
    body = {
        "error": {
            "code": "Base.1.0.GeneralError",
            "message": "Firmware image is not for this platform",
            "@Message.ExtendedInfo": [{"MessageId": "Base.1.0.GeneralError"}],
        }
    }
    text = rp.error_text(body)
    assert "Firmware image is not for this platform" in text and "Base.1.0.GeneralError" in text


def test_every_extended_info_with_resolution():
    text = rp.error_text(load("sushy-dell/error_pending_job.json"))
    assert "IDRAC.2.8.LC068" in text and "pending attribute changes" in text and "Resolution: Apply or cancel" in text


def test_http_error_names_status_and_message():
    bmc = ScriptedBmc()
    error = {
        "error": {
            "code": "Base.1.0.GeneralError",
            "message": "Image URI unreachable",
            "@Message.ExtendedInfo": [{"MessageId": "Base.1.0.GeneralError"}],
        }
    }
    bmc.route("POST", SIMPLE, (404, error, {}))
    with pytest.raises(FirmwareError, match=r"HTTP 404: .*Image URI unreachable"):
        backend(bmc).update(update())


def test_error_body_without_messages():
    bmc = ScriptedBmc()
    bmc.route("POST", SIMPLE, (500, {"error": {}}, {}))
    with pytest.raises(FirmwareError, match=r"HTTP 500: the BMC gave no message"):
        backend(bmc).update(update())


def test_login_failure_names_status():
    bmc = ScriptedBmc()
    bmc.route("POST", "/redfish/v1/SessionService/Sessions", (401, {"error": {"message": "bad password"}}, {}))
    with pytest.raises(FirmwareError, match=r"HTTP 401.*bad password"):
        backend(bmc).scan()


def test_login_without_session_service_suggests_basic_auth():
    bmc = ScriptedBmc()
    bmc.route("POST", "/redfish/v1/SessionService/Sessions", None)
    with pytest.raises(FirmwareError, match=r"HTTP 404.*auth: basic"):
        backend(bmc).scan()
    assert backend(ScriptedBmc(), auth="basic").scan()["devices"][0]["id"] == "BIOS"


def test_error_with_only_a_code_names_the_code():
    assert rp.error_text({"error": {"code": "Base.1.22.ResourceInUse"}}) == "Base.1.22.ResourceInUse"
    assert rp.error_text({}) == "the BMC gave no message"


def test_busy_is_refused_in_check_mode_too():
    bmc = ScriptedBmc(service=update_service(HttpPushUriTargetsBusy=True))
    with pytest.raises(FirmwareError, match="busy"):
        backend(bmc).update(update(), check_mode=True)


def test_component_that_is_updating_is_refused_before_sending():
    bmc = ScriptedBmc()
    member = INVENTORY + "/BIOS"
    body = {"@odata.id": member, "Id": "BIOS", "Version": "1.0", "Updateable": True, "Status": {"State": "Updating"}}
    bmc.route("GET", member, (200, body, {}))
    with pytest.raises(FirmwareError, match="busy.*BIOS reports Status.State Updating"):
        backend(bmc).update(update())
    assert bmc.posts(SIMPLE) == []


def test_task_that_never_ends_but_moved_the_component_reports_the_change():
    bmc = ScriptedBmc(versions=["1.0", "1.5"])
    bmc.route("POST", SIMPLE, ACCEPTED)
    bmc.route("GET", MONITOR, (202, task_body("Running", percent=50), {}))
    with pytest.raises(FirmwareError, match=r"Timed out after 60s.*BIOS now runs 1\.5 \(it ran 1\.0\)") as err:
        backend(bmc, timeout=60).update(update())
    assert err.value.details["outcome"]["changed"] is True
    assert err.value.details["outcome"]["changes"][0]["after"] == "1.5"


@pytest.mark.parametrize("job_state, busy", [("Scheduled", False), ("Running", True), ("Downloading", True)])
def test_dell_firmware_job_is_busy_only_while_it_runs(job_state, busy):
    # iDRAC lists its jobs as Tasks: TaskState Starting while Oem.Dell.JobState says Scheduled (waits for a reboot)
    body = load("sushy-dell/task.json")
    body["Oem"]["Dell"].update(JobType="FirmwareUpdate", JobState=job_state)
    assert rp.running_update(body) is busy
