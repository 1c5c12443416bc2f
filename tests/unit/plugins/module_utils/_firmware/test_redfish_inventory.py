"""Where Redfish services report firmware: DMTF mockups and recorded sushy-tools bodies (tests/fixtures/redfish).

Each service is read by the real RedfishBackend over ``MockupClient`` (the stored bodies, GET only; writes are
refused with 405 as a read-only service does).
"""

from __future__ import annotations

import json

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._firmware import redfish_inventory as ri
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.common import FirmwareError
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.record import to_result
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish import RedfishBackend
from helpers.change_record import validate
from helpers.redfish_mockups import MOCKUPS, RECORDED, MockupClient

RACKMOUNT = MOCKUPS / "public-rackmount1"
BLADED = MOCKUPS / "public-bladed"
SUSHY = RECORDED / "sushy-tools-2.2.0"
SUSHY_SYSTEM = "/redfish/v1/Systems/6695eb01-f6a4-8304-79aa-97f2502e193f"
SUSHY_MANAGER = "/redfish/v1/Managers/6695eb01-f6a4-8304-79aa-97f2502e193f"
BLADES = ["529QB9450R6", "529QB9451R6", "529QB9452R6", "529QB9453R6"]


def scan(client, components=None):
    out = RedfishBackend(client, poll_interval=0, timeout=0, sleep=lambda s: None).scan(components)
    validate(to_result("redfish", "scanned", out))
    return out["devices"]


def by_id(devices):
    return {d["id"]: d for d in devices}


def test_rackmount_inventory_lists_each_component_once():
    devices = by_id(scan(MockupClient(RACKMOUNT)))
    # BiosVersion "P79 v1.45 (12/06/2017)" and FirmwareVersion are already the BIOS/BMC members (RelatedItem)
    assert {k: d["version"] for k, d in devices.items()} == {
        "BIOS": "P79 v1.45",
        "BMC": "1.45.455b66-rev4",
        "SS": "2.50",
    }
    assert {d["source"] for d in devices.values()} == {"firmware_inventory"}
    assert devices["BIOS"]["target_uri"] == "/redfish/v1/UpdateService/FirmwareInventory/BIOS"
    assert devices["SS"]["target_uri"] == devices["SS"]["uri"]


def test_bladed_service_without_update_service_reports_bios_and_manager_firmware():
    client = MockupClient(BLADED)
    devices = by_id(scan(client))
    assert {k: (d["version"], d["source"]) for k, d in devices.items()} == {
        **{f"BIOS-{b}": ("P86 v1.58 (10/15/2015)", "system_bios") for b in BLADES},
        **{
            f"BMC-{m}": ("1.00", "manager")
            for m in ("MultiBladeBMC", "Blade1BMC", "Blade2BMC", "Blade3BMC", "Blade4BMC")
        },
    }
    assert devices["BIOS-529QB9451R6"]["target_uri"] == "/redfish/v1/Systems/529QB9451R6"
    assert devices["BMC-Blade2BMC"]["target_uri"] == "/redfish/v1/Managers/Blade2BMC"
    assert devices["BIOS-529QB9450R6"]["related_item"] == ["/redfish/v1/Systems/529QB9450R6"]
    assert devices["BMC-Blade1BMC"]["state"] == "Enabled" and devices["BMC-Blade1BMC"]["health"] == "OK"
    # its ServiceRoot links no UpdateService: nothing is updateable and no UpdateService URL is guessed
    assert not any(d["updateable"] for d in devices.values())
    assert not [p for p in client.paths() if "UpdateService" in p]


def test_bladed_update_is_refused_before_sending_anything():
    client = MockupClient(BLADED)
    backend = RedfishBackend(client, poll_interval=0, timeout=0, sleep=lambda s: None)
    with pytest.raises(
        FirmwareError,
        match=r"BIOS-529QB9450R6 \(BiosVersion of /redfish/v1/Systems/529QB9450R6\).*links no UpdateService",
    ):
        backend.update({"component": "BIOS-529QB9450R6", "version": "P86 v1.60", "image_uri": "http://x/bios.bin"})
    assert client.paths("POST") == []


def test_sushy_tools_has_a_dead_inventory_link_but_bios_and_manager_versions():
    client = MockupClient(SUSHY)
    devices = by_id(scan(client))
    assert {k: (d["version"], d["source"], d["target_uri"]) for k, d in devices.items()} == {
        "BIOS": ("1.0.0", "system_bios", SUSHY_SYSTEM),
        "BMC": ("1.00", "manager", SUSHY_MANAGER),
    }
    assert devices["BIOS"]["updateable"] and devices["BIOS"]["name"] == "BIOS of test"
    assert "/redfish/v1/UpdateService/FirmwareInventory" in client.paths()  # advertised (and 404): tried, then left


def test_qualified_id_is_accepted_for_a_single_system():
    devices = scan(MockupClient(SUSHY), ["BIOS-6695eb01-f6a4-8304-79aa-97f2502e193f"])
    assert [d["id"] for d in devices] == ["BIOS"]


def test_unknown_component_names_what_the_service_has():
    with pytest.raises(
        FirmwareError,
        match=r"'NIC9' is not in the BMC's FirmwareInventory, nor .* it has: BIOS \(system_bios\), BMC \(manager\)",
    ):
        scan(MockupClient(SUSHY), ["NIC9"])


def test_sushy_tools_update_targets_the_computer_system():
    """sushy-tools takes ComputerSystem URIs in Targets (it refuses Manager URIs and inventory members)."""
    client = MockupClient(SUSHY)
    backend = RedfishBackend(client, poll_interval=0, timeout=0, sleep=lambda s: None)
    with pytest.raises(FirmwareError, match="HTTP 405"):  # the stored service is read-only: it refuses the POST
        backend.update({"component": "BIOS", "version": "1.1.0", "image_uri": "http://127.0.0.1:1/bios.bin"})
    ((method, path, payload),) = [c for c in client.calls if c[0] == "POST"]
    assert path == "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"
    assert payload["Targets"] == [SUSHY_SYSTEM] and payload["ImageURI"] == "http://127.0.0.1:1/bios.bin"


def test_check_mode_forecast_reads_bios_version():
    client = MockupClient(SUSHY)
    out = RedfishBackend(client).update(
        {"component": "BIOS", "version": "1.1.0", "image_uri": "http://x/b.bin"}, check_mode=True
    )
    assert out["changed"] and out["pending"][0]["before"] == "1.0.0" and out["pending"][0]["after"] == "1.1.0"
    assert client.paths("POST") == []


def _without_inventory(link="/redfish/v1/UpdateService"):
    """rackmount1 whose ServiceRoot links ``link`` and whose UpdateService advertises no FirmwareInventory."""
    client = MockupClient(RACKMOUNT)
    root = client.body("/redfish/v1")
    root["UpdateService"] = {"@odata.id": link}
    update = client.body("/redfish/v1/UpdateService")
    del update["FirmwareInventory"]
    client.overrides = {"/redfish/v1": root, link.rstrip("/"): update}
    return client


@pytest.mark.parametrize("link", ["/redfish/v1/UpdateService", "/redfish/v1/UpdateService/"])
def test_missing_inventory_link_is_not_guessed(link):
    client = _without_inventory(link)
    devices = by_id(scan(client))
    assert {k: (d["version"], d["source"]) for k, d in devices.items()} == {
        "BIOS": ("P79 v1.45 (12/06/2017)", "system_bios"),
        "BMC": ("1.45.455b66-rev4", "manager"),
    }
    assert not [p for p in client.paths() if "FirmwareInventory" in p]


def test_a_service_reporting_no_versions_says_why():
    client = _without_inventory()
    client.overrides["/redfish/v1/Systems"] = None
    root = client.overrides["/redfish/v1"]
    del root["Managers"]
    with pytest.raises(FirmwareError) as err:
        scan(client)
    text = str(err.value)
    assert "advertises no FirmwareInventory" in text and "Systems /redfish/v1/Systems answered HTTP 404" in text
    assert not [p for p in client.paths() if "FirmwareInventory" in p]


def test_inventory_member_with_the_short_id_keeps_the_synthetic_one_apart():
    """An inventory member called BIOS that is not this system's BIOS: the system's BiosVersion gets BIOS-<Id>."""
    client = MockupClient(RACKMOUNT)
    bios = client.body("/redfish/v1/UpdateService/FirmwareInventory/BIOS")
    bios["RelatedItem"] = [{"@odata.id": "/redfish/v1/Chassis/Other"}]
    bios["Version"] = "Q12 v3.02"  # another board's BIOS: neither related nor the same version
    client.overrides["/redfish/v1/UpdateService/FirmwareInventory/BIOS"] = bios
    devices = by_id(scan(client))
    assert devices["BIOS"]["source"] == "firmware_inventory"
    assert devices["BIOS-437XR1138R2"]["version"] == "P79 v1.45 (12/06/2017)"
    assert devices["BIOS-437XR1138R2"]["target_uri"] == "/redfish/v1/Systems/437XR1138R2"
    assert "BMC-BMC" not in devices and "BMC" in devices


def test_covered_needs_more_than_a_shared_version():
    inventory = [dict(ri.find([_dev("NIC1", "1.00")], "NIC1"))]
    assert not ri._covered(inventory, "/redfish/v1/Managers/1", "1.00", ri._BMC_WORDS)
    inventory[0]["related_item"] = ["/redfish/v1/Managers/1/"]
    assert ri._covered(inventory, "/redfish/v1/Managers/1", "1.00", ri._BMC_WORDS)


def _dev(dev_id, version):
    return {"id": dev_id, "name": None, "version": version, "related_item": [], "source": "firmware_inventory"}


class _Busy(MockupClient):
    """A BMC whose FirmwareInventory answers 503 (busy), as BMCs do while they apply an update."""

    def request(self, method, path, body=None, data=None, headers=None):
        if path == "/redfish/v1/UpdateService/FirmwareInventory":
            from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish_client import (
                RedfishHttpError,
            )

            raise RedfishHttpError(method, path, 503, {"error": {"code": "Base.1.0.ServiceTemporarilyUnavailable"}})
        return super().request(method, path, body, data, headers)


def test_a_busy_inventory_is_an_error_not_a_missing_component():
    with pytest.raises(FirmwareError, match="FirmwareInventory answered HTTP 503"):
        scan(_Busy(RACKMOUNT), ["BMC"])


VENDORS = RECORDED / "vendors"


def _collection(uri, *members):
    return {"@odata.id": uri, "Members": [{"@odata.id": m} for m in members], "Members@odata.count": len(members)}


def test_recorded_dell_system_and_idrac_versions():
    """A PowerEdge R6515 (BiosVersion 2.2.4) and its iDRAC (FirmwareVersion 1.20.50.52), as bmclib recorded them;
    the ServiceRoot and the collections around them are made here (no UpdateService: nothing hides them)."""
    system = json.loads((VENDORS / "bmclib-dell" / "system.embedded.1.json").read_text(encoding="utf-8"))
    manager = json.loads((VENDORS / "bmclib-dell" / "manager.idrac.embedded.1.json").read_text(encoding="utf-8"))
    client = MockupClient(
        RACKMOUNT,
        {
            "/redfish/v1": {
                "Systems": {"@odata.id": "/redfish/v1/Systems"},
                "Managers": {"@odata.id": "/redfish/v1/Managers"},
            },
            "/redfish/v1/Systems": _collection("/redfish/v1/Systems", "/redfish/v1/Systems/System.Embedded.1"),
            "/redfish/v1/Systems/System.Embedded.1": system,
            "/redfish/v1/Managers": _collection("/redfish/v1/Managers", "/redfish/v1/Managers/iDRAC.Embedded.1"),
            "/redfish/v1/Managers/iDRAC.Embedded.1": manager,
        },
    )
    devices = by_id(scan(client))
    assert {k: (d["version"], d["target_uri"]) for k, d in devices.items()} == {
        "BIOS": ("2.2.4", "/redfish/v1/Systems/System.Embedded.1"),
        "BMC": ("1.20.50.52", "/redfish/v1/Managers/iDRAC.Embedded.1"),
    }
    assert devices["BIOS"]["manufacturer"] == "Dell Inc."


def test_recorded_supermicro_root_and_system():
    """Supermicro's recorded ServiceRoot links an UpdateService; its system (single-line JSON) has BiosVersion 2.0."""
    root = json.loads((VENDORS / "bmclib-supermicro" / "smc_1.14.0_serviceroot.json").read_text(encoding="utf-8"))
    system = json.loads((VENDORS / "bmclib-supermicro" / "smc_1.14.0_systems_1.json").read_text(encoding="utf-8"))
    client = MockupClient(
        RACKMOUNT,
        {
            "/redfish/v1": root,
            "/redfish/v1/UpdateService": {"@odata.id": "/redfish/v1/UpdateService", "ServiceEnabled": True},
            "/redfish/v1/Systems": _collection("/redfish/v1/Systems", "/redfish/v1/Systems/1"),
            "/redfish/v1/Systems/1": system,
            "/redfish/v1/Managers": _collection("/redfish/v1/Managers"),
        },
    )
    (bios,) = scan(client)
    assert (bios["id"], bios["version"], bios["source"], bios["manufacturer"]) == (
        "BIOS",
        "2.0",
        "system_bios",
        "Supermicro",
    )
    assert bios["updateable"] is False  # its UpdateService (as given here) offers no update action


def test_manager_version_written_differently_from_its_inventory_member():
    """HPE iLO style (bodies made here after that format): the inventory member "iLO 5" has Version
    "2.72 Feb 09 2022", the Manager FirmwareVersion "iLO 5 v2.72", no RelatedItem: one BMC, not two."""
    inventory = [dict(_dev("1", "2.72 Feb 09 2022"), name="iLO 5")]
    assert ri._covered(inventory, "/redfish/v1/Managers/1", "iLO 5 v2.72", ri._BMC_WORDS)
    assert not ri._covered(inventory, "/redfish/v1/Managers/1", "iLO 5 v2.78", ri._BMC_WORDS)
    assert not ri._covered(inventory, "/redfish/v1/Systems/1", "U30 v2.72 (03/01/2022)", ri._BIOS_WORDS)


def test_a_manager_updating_itself_is_refused_before_sending():
    """A BMC with no inventory member for itself: its Manager's Status.State Updating is the busy signal."""
    client = MockupClient(SUSHY)
    manager = client.body(SUSHY_MANAGER)
    manager["Status"] = {"State": "Updating", "Health": "OK"}
    client.overrides[SUSHY_MANAGER] = manager
    backend = RedfishBackend(client, poll_interval=0, timeout=0, sleep=lambda s: None)
    with pytest.raises(FirmwareError, match="BMC reports Status.State Updating"):
        backend.update({"component": "BMC", "version": "1.01", "image_uri": "http://x/bmc.bin"})
    assert client.paths("POST") == []
