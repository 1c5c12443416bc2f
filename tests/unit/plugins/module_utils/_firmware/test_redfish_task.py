"""The Redfish task protocol (DMTF DSP0266 asynchronous operations) over scripted answers: 202 with and without a
body, Location and Retry-After, 200/201/204 completions, the task monitor and the Task resource, every TaskState."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._firmware import redfish_parse as rp
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.common import FirmwareError
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish_task import accepted
from scripted_bmc import DOWN, MONITOR, SIMPLE, TASK, ScriptedBmc, backend, load, msg, task_body, update

ACCEPTED = (202, None, {"Location": MONITOR})


def test_empty_202_from_submit_and_monitor_is_followed_to_the_end():
    # what many BMCs do while a task runs: 202 Accepted, no body (the old code crashed: KeyError 'messages')
    bmc = ScriptedBmc(versions=["1.0", "1.0", "2.0"])
    bmc.route("POST", SIMPLE, ACCEPTED)
    bmc.route("GET", MONITOR, (202, None, {}), (202, None, {}), (204, None, {}))
    out = backend(bmc).update(update())
    assert out["changed"] and out["changes"][0]["after"] == "2.0"
    assert out["task"]["state"] == "Completed" and out["task"]["ok"] is True
    assert bmc.count("GET", MONITOR) == 3


def test_empty_202_then_monitor_gone_reads_the_task_resource():
    bmc = ScriptedBmc(versions=["1.0", "2.0"])
    bmc.route("POST", SIMPLE, (202, task_body("New"), {"Location": MONITOR}))
    bmc.route("GET", MONITOR, (202, None, {}), None)  # then 404: monitors vanish
    bmc.route("GET", TASK, (200, task_body("Completed", percent=100), {}))
    out = backend(bmc).update(update())
    assert out["task"]["state"] == "Completed" and out["changes"][0]["after"] == "2.0"


def test_202_without_a_body_reads_the_task_resource_for_progress_and_failure():
    bmc = ScriptedBmc()
    bmc.route("POST", SIMPLE, (202, task_body("New"), {"Location": MONITOR}))
    bmc.route("GET", MONITOR, (202, None, {}))
    bmc.route(
        "GET",
        TASK,
        (200, task_body("Running", percent=40, messages=[msg("Update.1.0.InstallingOnComponent", "installing")]), {}),
        (200, task_body("Exception", "Critical", 40, [msg("Update.1.0.ApplyFailed", "flash write error")]), {}),
    )
    with pytest.raises(FirmwareError, match=r"ended Exception.*ApplyFailed: flash write error.*stays at 1\.0") as err:
        backend(bmc).update(update())
    progress = err.value.details["task"]["progress"]
    assert any("40%" in line and "installing" in line for line in progress)


def test_vendor_failed_state_ends_at_once():
    # a BMC that says Failed (with TaskStatus OK) at 100%: the old code polled it for 30 minutes
    bmc = ScriptedBmc()
    bmc.route("POST", SIMPLE, ACCEPTED)
    bmc.route("GET", MONITOR, (202, task_body("Failed", "OK", 100, [msg("Oem.1.0.FlashFailed", "bad image")]), {}))
    back = backend(bmc, timeout=1800)
    with pytest.raises(FirmwareError, match=r"ended Failed.*bad image") as err:
        back.update(update())
    assert bmc.count("GET", MONITOR) == 1 and back.fake_clock.now < 60
    assert err.value.details["task"]["state"] == "Failed"


def test_unknown_state_without_progress_fails_long_before_the_timeout_naming_the_state():
    bmc = ScriptedBmc()
    bmc.route("POST", SIMPLE, ACCEPTED)
    bmc.route("GET", MONITOR, (202, task_body("Flashing", percent=10), {}))
    back = backend(bmc, timeout=1800, interval=5)
    with pytest.raises(FirmwareError, match=r"unknown task state 'Flashing'") as err:
        back.update(update())
    assert back.fake_clock.now <= 120 and err.value.details["task"]["state"] == "Flashing"


def test_unknown_state_that_makes_progress_is_followed():
    bmc = ScriptedBmc(versions=["1.0", "2.0"])
    bmc.route("POST", SIMPLE, ACCEPTED)
    steps = [(202, task_body("Flashing", percent=p), {}) for p in range(0, 100, 5)]
    bmc.route("GET", MONITOR, *steps, (200, task_body("Completed", percent=100), {}))
    out = backend(bmc, timeout=1800, interval=5).update(update())
    assert out["changes"][0]["after"] == "2.0"


def test_retry_after_is_honoured_and_bounded():
    bmc = ScriptedBmc(versions=["1.0", "2.0"])
    bmc.route("POST", SIMPLE, (202, None, {"Location": MONITOR, "Retry-After": "7"}))
    bmc.route(
        "GET", MONITOR, (202, None, {"Retry-After": "12"}), (202, None, {"Retry-After": "99999"}), (204, None, {})
    )
    back = backend(bmc, timeout=600, interval=1)
    back.update(update())
    assert back.fake_clock.sleeps[:3] == [7, 12, 60]


@pytest.mark.parametrize("status", [200, 201, 204])
def test_synchronous_completion_needs_no_monitor(status):
    bmc = ScriptedBmc(versions=["1.0", "2.0"])
    bmc.route("POST", SIMPLE, (status, None if status == 204 else {}, {}))
    out = backend(bmc).update(update())
    assert out["changed"] and bmc.count("GET", MONITOR) == 0


def test_monitor_answers_the_operation_error():
    bmc = ScriptedBmc()
    bmc.route("POST", SIMPLE, ACCEPTED)
    error = {"error": {"code": "Base.1.0.GeneralError", "message": "Image signature invalid"}}
    bmc.route("GET", MONITOR, (202, None, {}), (400, error, {}))
    with pytest.raises(FirmwareError, match=r"HTTP 400.*Image signature invalid.*stays at 1\.0"):
        backend(bmc).update(update())


def test_monitor_rides_out_a_reset_and_503():
    bmc = ScriptedBmc(versions=["1.0", "2.0"])
    bmc.route("POST", SIMPLE, (202, task_body("Running"), {"Location": MONITOR}))
    bmc.route("GET", MONITOR, DOWN, (503, None, {"Retry-After": "3"}), None)
    bmc.route("GET", TASK, (200, task_body("Completed", percent=100), {}))
    out = backend(bmc).update(update())
    assert out["bmc_reset_seen"] is True and out["changes"][0]["after"] == "2.0"


def test_monitor_gone_and_no_task_lets_the_inventory_decide():
    bmc = ScriptedBmc(versions=["1.0", "1.0", "2.0"])
    bmc.route("POST", SIMPLE, ACCEPTED)
    bmc.route("GET", MONITOR, None)
    out = backend(bmc).update(update())
    assert out["changes"][0]["after"] == "2.0" and out["task"]["state"] == "Unknown"


@pytest.mark.parametrize(
    "state, status, verdict",
    [
        ("New", None, "running"),
        ("Starting", None, "running"),
        ("Running", None, "running"),
        ("Suspended", None, "running"),
        ("Interrupted", None, "running"),
        ("Pending", None, "running"),
        ("Stopping", None, "running"),
        ("Cancelling", None, "running"),
        ("Service", None, "running"),
        ("Completed", None, "done"),
        ("Completed", "OK", "done"),
        ("Completed", "Warning", "done"),
        ("Completed", "Critical", "failed"),
        ("Killed", "OK", "failed"),
        ("Exception", "OK", "failed"),
        ("Cancelled", None, "failed"),
        ("Failed", "OK", "failed"),
        ("Error", None, "failed"),
        ("Aborted", None, "failed"),
        ("Flashing", None, "unknown"),
    ],
)
def test_every_task_state_has_a_verdict(state, status, verdict):
    assert rp.task_verdict(state, status) == verdict
    body = {"TaskState": state}
    if status:
        body["TaskStatus"] = status
    summary = rp.task(body)
    assert summary["verdict"] == verdict
    assert summary["done"] is (verdict in ("done", "failed")) and summary["ok"] is (verdict == "done")


@pytest.mark.parametrize(
    "name, verdict",
    [
        ("bmclib-redfishwrapper/tasks/tasks_1_failed.json", "failed"),  # Failed + TaskStatus OK at 100%
        ("bmclib-redfishwrapper/tasks/tasks_1_unknown.json", "unknown"),
        ("bmclib-redfishwrapper/tasks/tasks_1_scheduled.json", "running"),
        ("bmclib-redfishwrapper/tasks/tasks_1_starting.json", "running"),
        ("bmclib-redfishwrapper/tasks/tasks_1_pending.json", "running"),
        ("bmclib-redfishwrapper/tasks/tasks_1_completed.json", "done"),
        ("sushy-dell/task.json", "running"),
        ("sushy/task.json", "done"),
        ("dmtf-dsp2046-examples/Task-v1-example.json", "done"),
    ],
)
def test_recorded_task_bodies(name, verdict):
    assert rp.task(load(name))["verdict"] == verdict


def test_recorded_vendor_failed_task_ends_the_follow_at_once():
    bmc = ScriptedBmc()
    bmc.route("POST", SIMPLE, ACCEPTED)
    bmc.route("GET", MONITOR, (202, load("bmclib-redfishwrapper/tasks/tasks_1_failed.json"), {}))
    with pytest.raises(FirmwareError, match=r"ended Failed/OK at 100%: the BMC gave no message\. BIOS stays at 1\.0"):
        backend(bmc).update(update())
    assert bmc.count("GET", MONITOR) == 1


def test_supermicro_accepted_body_names_its_task():
    # 202 with an 'Accepted' wrapper: the task is in the message's MessageArgs (no TaskState, no TaskMonitor)
    first = accepted(202, load("bmclib-redfishwrapper/updateservice_ok_response.json"), {})
    assert first["monitor"] == "/redfish/v1/TaskService/Tasks/1234" and first["verdict"] == "running"
    first = accepted(202, load("bmclib-redfishwrapper/updateservice_unexpected_response.json"), {"location": MONITOR})
    assert first["monitor"] == MONITOR


@pytest.mark.parametrize(
    "body",
    [
        task_body("Scheduled", percent=0, Name="Firmware Update"),  # iDRAC: waits for the next reboot
        task_body("Pending", percent=90),
        task_body("Running", percent=90, messages=[msg("Update.1.0.AwaitToActivate", "awaiting reset")]),
    ],
    ids=["scheduled", "pending", "await-to-activate"],
)
def test_on_reset_task_waiting_for_the_reset_is_staged_without_waiting_for_the_timeout(body):
    bmc = ScriptedBmc(versions=["1.0"])
    bmc.route("POST", SIMPLE, ACCEPTED)
    bmc.route("GET", MONITOR, (202, body, {}))
    back = backend(bmc, timeout=1800)
    out = back.update(update(apply_time="OnReset"))
    assert out["staged"] is True and out["pending"][0]["after"] == "2.0" and back.fake_clock.now < 60
