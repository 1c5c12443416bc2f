"""state=activated: a reset activates the image an OnReset update staged, and no image is sent again."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.common import FirmwareError
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.record import to_result
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish import RedfishBackend
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish_client import RedfishClient
from helpers.change_record import validate

# component -> (baseline, staged version, how the simulator counts the reset that activates it)
STAGEABLE = {"BIOS": ("2.2.4", "2.3.0", "system_resets"), "BMC": ("1.45.0", "1.46.0", "resets")}


def backend_for(bmc, timeout=30):
    client = RedfishClient(bmc.baseuri, "admin", "lab-bmc-password", ca_path=bmc.ca_path, use_proxy=False)
    return RedfishBackend(client, poll_interval=0.1, timeout=timeout)


def resets(bmc):
    sim = bmc.server.bmc
    with sim.lock:
        return {"resets": sim.resets, "system_resets": sim.system_resets}


def stage(bmc, component, version):
    out = backend_for(bmc).update(
        {
            "component": component,
            "version": version,
            "image_uri": bmc.image_uri(component, version),
            "apply_time": "OnReset",
        }
    )
    assert out["staged"] and bmc.version(component) != version
    assert bmc.image_transfers == 1
    return out


def activate(component, version, **extra):
    return dict({"component": component, "version": version}, **extra)


@pytest.mark.parametrize("component", sorted(STAGEABLE))
def test_staged_image_is_activated_by_one_reset_without_sending_it(bmc, component):
    before, staged, counter = STAGEABLE[component]
    stage(bmc, component, staged)
    rollback_image = bmc.image_uri(component, before)
    backend = backend_for(bmc)
    out = backend.activate(activate(component, staged, rollback_image=rollback_image))
    assert out["changed"] and bmc.version(component) == staged
    assert bmc.image_transfers == 1, "the activation sent an image again"
    assert resets(bmc)[counter] == 1 and sum(resets(bmc).values()) == 1
    assert out["changes"] == [
        {
            "component": component,
            "kind": "firmware",
            "before": before,
            "after": staged,
            "advisories": [],
            "severity": None,
            "reboot_required": False,
        }
    ]
    assert out["pending"] == [] and out["reboot_required"] is False
    assert out["bmc_reset_seen"] is (component == "BMC")  # only the BMC's own reset drops connections
    result = to_result("redfish", "activated", out)
    validate(result)
    assert result["rollback"] == {
        "strategy": "firmware",
        "data": {
            "backend": "redfish",
            "components": {component: {"version": before, "image": rollback_image, "applied_image": None}},
        },
    }
    again = backend.activate(activate(component, staged))
    assert again["changed"] is False and again["changes"] == []
    assert sum(resets(bmc).values()) == 1 and bmc.image_transfers == 1
    validate(to_result("redfish", "activated", again))


def test_already_active_version_needs_no_reset(bmc):
    for check_mode in (False, True):
        out = backend_for(bmc).activate(activate("BIOS", "2.2.4"), check_mode=check_mode)
        assert out["changed"] is False and out["changes"] == [] and out["pending"] == []
    assert resets(bmc) == {"resets": 0, "system_resets": 0} and bmc.image_transfers == 0


def test_check_mode_sends_nothing(bmc):
    stage(bmc, "BIOS", "2.3.0")
    out = backend_for(bmc).activate(activate("BIOS", "2.3.0"), check_mode=True)
    assert out["changed"] and out["changes"] == []
    assert [(c["component"], c["before"], c["after"]) for c in out["pending"]] == [("BIOS", "2.2.4", "2.3.0")]
    assert resets(bmc) == {"resets": 0, "system_resets": 0} and bmc.image_transfers == 1
    assert bmc.version("BIOS") == "2.2.4"
    validate(to_result("redfish", "activated", out))


def test_nothing_staged_fails_after_the_timeout_with_what_it_saw(bmc):
    with pytest.raises(FirmwareError, match=r"activated BIOS 2\.2\.4, not 2\.3\.0 \(waited 1s\): nothing was staged"):
        backend_for(bmc, timeout=1).activate(activate("BIOS", "2.3.0"))
    assert resets(bmc)["system_resets"] == 1 and bmc.image_transfers == 0


def test_another_staged_version_fails_without_waiting_for_the_timeout(bmc):
    stage(bmc, "BIOS", "2.3.0")
    with pytest.raises(FirmwareError, match=r"activated BIOS 2\.3\.0, not 2\.4\.0: nothing was staged") as exc:
        backend_for(bmc).activate(activate("BIOS", "2.4.0"))
    seen = {d["id"]: d["version"] for d in exc.value.details["devices"]}
    assert seen["BIOS"] == "2.3.0" and exc.value.details["bmc_reset_seen"] is False
    assert bmc.image_transfers == 1


def test_unknown_component_is_refused_before_any_reset(bmc):
    with pytest.raises(FirmwareError, match="not in the BMC's FirmwareInventory"):
        backend_for(bmc).activate(activate("GPU0", "1.0"))
    assert resets(bmc) == {"resets": 0, "system_resets": 0}


def test_bmc_that_never_comes_back_fails_after_the_timeout(bmc):
    stage(bmc, "BMC", "1.46.0")
    bmc.set_faults(never_back=True)
    try:
        with pytest.raises(FirmwareError, match="did not answer again within 2s") as exc:
            backend_for(bmc, timeout=2).activate(activate("BMC", "1.46.0"))
    finally:
        bmc.set_faults()
    assert exc.value.details["bmc_reset_seen"] is True and bmc.image_transfers == 1
