"""The Redfish client and backend against the lab's BMC simulator (real HTTPS, real tasks, real resets)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.common import FirmwareError
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.record import to_result
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish import RedfishBackend
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish_client import RedfishClient
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish_task import wait_until
from helpers.change_record import validate


def backend_for(bmc, auth="session", timeout=30, **kwargs):
    client = RedfishClient(
        bmc.baseuri, "admin", "lab-bmc-password", auth=auth, ca_path=bmc.ca_path, use_proxy=False, **kwargs
    )
    return RedfishBackend(client, poll_interval=0.1, timeout=timeout)


def params(bmc, component, version, **extra):
    base = {"component": component, "version": version, "image_uri": bmc.image_uri(component, version)}
    base.update(extra)
    return base


@pytest.mark.parametrize("auth", ["session", "basic"])
def test_scan(bmc, auth):
    out = backend_for(bmc, auth).scan()
    assert {d["id"]: d["version"] for d in out["devices"]} == {
        "BMC": "1.45.0",
        "BIOS": "2.2.4",
        "NIC1": "25.5.6",
        "CPLD": "3.1",
    }
    assert not out["changed"]
    validate(to_result("redfish", "scanned", out))


def test_tls_is_verified_by_default(bmc):
    client = RedfishClient(bmc.baseuri, "admin", "lab-bmc-password", use_proxy=False)
    with pytest.raises(FirmwareError, match="TLS verification .* ca_path"):
        RedfishBackend(client).scan()
    insecure = RedfishClient(bmc.baseuri, "admin", "lab-bmc-password", validate_certs=False, use_proxy=False)
    assert RedfishBackend(insecure).scan()["devices"]


def test_bad_credentials(bmc):
    client = RedfishClient(bmc.baseuri, "admin", "wrong", ca_path=bmc.ca_path, use_proxy=False)
    with pytest.raises(FirmwareError, match="Login .* failed"):
        RedfishBackend(client).scan()


def test_bmc_update_rides_out_the_reset(bmc):
    backend = backend_for(bmc)
    out = backend.update(params(bmc, "BMC", "1.46.0", rollback_image=bmc.image_uri("BMC", "1.45.0")))
    assert out["changed"] and out["bmc_reset_seen"] is True
    assert [(c["component"], c["before"], c["after"]) for c in out["changes"]] == [("BMC", "1.45.0", "1.46.0")]
    assert out["task"]["state"] == "Completed" and out["task"]["percent"] == 100
    assert backend.client.logins >= 2  # the reset killed the session: logged in again
    assert out["rollback_data"]["BMC"] == {
        "version": "1.45.0",
        "image": bmc.image_uri("BMC", "1.45.0"),
        "applied_image": bmc.image_uri("BMC", "1.46.0"),
    }
    assert bmc.version("BMC") == "1.46.0"
    validate(to_result("redfish", "updated", out))
    again = backend.update(params(bmc, "BMC", "1.46.0"))
    assert again["changed"] is False


def test_multipart_push(bmc):
    out = backend_for(bmc).update(
        {"component": "NIC1", "version": "25.6.0", "image_path": bmc.image_path("NIC1", "25.6.0")}
    )
    assert out["changes"][0]["after"] == "25.6.0" and bmc.version("NIC1") == "25.6.0"


def test_check_mode_sends_nothing(bmc):
    out = backend_for(bmc).update(params(bmc, "BIOS", "2.3.0"), check_mode=True)
    assert out["changed"] and out["pending"][0]["after"] == "2.3.0" and out["changes"] == []
    assert bmc.server.bmc.tasks == {}


def test_on_reset_stages_then_reset_activates(bmc):
    backend = backend_for(bmc)
    out = backend.update(params(bmc, "BIOS", "2.3.0", apply_time="OnReset"))
    assert out["staged"] and out["reboot_required"] and out["pending"][0]["after"] == "2.3.0"
    assert out["changes"] == [] and bmc.version("BIOS") == "2.2.4"
    validate(to_result("redfish", "updated", out))
    out = backend.update(params(bmc, "BIOS", "2.3.0", apply_time="OnReset", reset=True))
    assert out["changes"][0]["after"] == "2.3.0" and bmc.version("BIOS") == "2.3.0"


def test_maintenance_window_schedules(bmc):
    start = (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0).isoformat()
    backend = backend_for(bmc)
    out = backend.update(
        params(
            bmc,
            "NIC1",
            "25.6.0",
            apply_time="AtMaintenanceWindowStart",
            maintenance_window_start=start,
            maintenance_window_duration=600,
        )
    )
    assert out["scheduled"] and out["pending"] and bmc.version("NIC1") == "25.5.6"
    value, _ = wait_until(
        backend.client, lambda: True if bmc.version("NIC1") == "25.6.0" else None, backend.clock() + 20, 0.1
    )
    assert value is True


def test_forbidden_downgrade_is_refused_before_sending(bmc):
    with pytest.raises(FirmwareError, match="LowestSupportedVersion is 1.30.0"):
        backend_for(bmc).update(params(bmc, "BMC", "1.20.0"), rollback=True)
    assert bmc.server.bmc.tasks == {}


def test_downgrade_needs_rollback_or_permission(bmc):
    with pytest.raises(FirmwareError, match="Refusing to downgrade"):
        backend_for(bmc).update(params(bmc, "BIOS", "2.1.0"))


def test_bmc_enforces_its_minimum_too(bmc):
    # the module trusts LowestSupportedVersion; a BMC that enforces more is still reported clearly
    bmc.server.bmc.components["BIOS"]["lowest_supported"] = "2.2.4"
    backend = backend_for(bmc)
    backend.inventory = lambda svc=None: [
        dict(d, lowest_supported_version=None) for d in RedfishBackend.inventory(backend, svc)
    ]
    with pytest.raises(FirmwareError, match="refused to downgrade BIOS"):
        backend.update(params(bmc, "BIOS", "2.1.0"), rollback=True)


def test_not_updateable_and_unknown_component(bmc):
    with pytest.raises(FirmwareError, match="CPLD is not updateable"):
        backend_for(bmc).update(params(bmc, "CPLD", "3.2"))
    with pytest.raises(FirmwareError, match="not in the BMC's FirmwareInventory"):
        backend_for(bmc).update(params(bmc, "GPU", "1.0"))


def test_fault_task_fails_at_percent(bmc):
    bmc.set_faults(task_fail_at=55)
    with pytest.raises(FirmwareError, match=r"ended Exception/Critical at 40%.*ApplyFailed.*stays at 2.2.4") as err:
        backend_for(bmc).update(params(bmc, "BIOS", "2.3.0"))
    assert err.value.details["task"]["state"] == "Exception"
    assert bmc.version("BIOS") == "2.2.4"


def test_fault_image_rejected(bmc):
    bmc.set_faults(image_rejected=True)
    with pytest.raises(FirmwareError, match="VerificationFailed"):
        backend_for(bmc).update(params(bmc, "BIOS", "2.3.0"))
    assert bmc.version("BIOS") == "2.2.4"


def test_corrupt_image_rejected(bmc):
    p = params(bmc, "BIOS", "2.3.0", image_uri=bmc.image_base + "/corrupt.bin")
    with pytest.raises(FirmwareError, match="VerificationFailed.*bad magic"):
        backend_for(bmc).update(p)


def test_fault_bmc_never_comes_back(bmc):
    bmc.set_faults(never_back=True)
    with pytest.raises(FirmwareError, match="Timed out after 3s .* did not come back") as err:
        backend_for(bmc, timeout=3).update(params(bmc, "BMC", "1.46.0"))
    assert err.value.details["bmc_reset_seen"] is True
    bmc.set_faults()  # clear: the BMC comes back with the new image
    assert backend_for(bmc).scan(["BMC"])["devices"][0]["version"] == "1.46.0"


def test_apply_time_must_be_supported(bmc):
    backend = backend_for(bmc)
    real = backend.service

    def only_immediate():
        svc = real()
        svc["simple_update_apply_times"] = ["Immediate"]
        return svc

    backend.service = only_immediate
    with pytest.raises(FirmwareError, match="does not support apply time OnReset"):
        backend.update(params(bmc, "BIOS", "2.3.0", apply_time="OnReset"))
