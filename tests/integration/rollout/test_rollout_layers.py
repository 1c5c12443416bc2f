"""One rollout across layers: lab Linux hosts, the lab's simulated network devices and its Redfish BMCs.

Real ansible-playbook runs of playbooks/rollout.yml; the assertions read the devices themselves (simulator state,
Redfish FirmwareInventory, dpkg inside the chroots) and the evidence. Every device is put back where it was.
"""

from __future__ import annotations

import json
import sys

import pytest
from rollout_lab import (
    BASELINE,
    BMCS,
    NET_DEVICES,
    PATCHED,
    REPO,
    approval,
    bmc_versions,
    decisions,
    evidence,
    inventory_waves,
    lab,
    netdev_boot,
    netdev_state,
    reset,
    run_playbook,
    verify,
    versions,
    wave_settings,
    write_layer_inventory,
)

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from lab.netsim import images  # noqa: E402

pytestmark = [pytest.mark.lab, pytest.mark.slow]

OS_HOSTS = ["lab-apt-01", "lab-apt-02"]
WAVES = {
    "lab-apt-01": "pilot",
    "lab-ios-01": "pilot",
    "lab-bmc-01": "pilot",
    "lab-eos-01": "staged",
    "lab-nxos-01": "staged",  # boot-fail: comes back on its old image -> rolled back
    "lab-bmc-02": "staged",  # task-fail-at 55: the BIOS update fails, nothing changes -> unchanged
    "lab-junos-01": "full",  # core (everylayer_core: true)
    "lab-apt-02": "full",  # core (asset criticality critical)
}
PLATFORM = {
    "lab-ios-01": "cisco_ios",
    "lab-nxos-01": "cisco_nxos",
    "lab-eos-01": "arista_eos",
    "lab-junos-01": "juniper_junos",
}
BIOS = {
    "version": "2.3.0",
    "image_uri": "{{ everylayer_firmware_image_base }}/bios-2.3.0.bin",
    "rollback_image": "{{ everylayer_firmware_image_base }}/bios-2.2.4.bin",
    "apply_time": "OnReset",  # staged by the update, activated by the reboot role through a Redfish reset
}


def old(device: str) -> tuple[str, str]:
    return images.CATALOG[PLATFORM[device]][0]


def new(device: str) -> tuple[str, str]:
    return images.CATALOG[PLATFORM[device]][1]


@pytest.fixture()
def estate(tmp_path):
    """OS hosts at baseline, network devices on their old image, BMCs at baseline; everything put back after."""
    found = {d: (netdev_state(d)["image"], netdev_state(d)["version"]) for d in NET_DEVICES}
    reset(*OS_HOSTS)
    for device in NET_DEVICES:
        lab("fault", "netdev", "clear", device)
    for bmc in BMCS:
        lab("fault", "bmc", "baseline", bmc)
    netdev_boot(tmp_path / "boot-old", {d: old(d) for d in NET_DEVICES})
    yield
    for device in NET_DEVICES:
        lab("fault", "netdev", "clear", device)
    for bmc in BMCS:
        lab("fault", "bmc", "baseline", bmc)
    netdev_boot(tmp_path / "boot-back", found)
    reset(*OS_HOSTS)


def run_rollout(tmp_path, store, waves, **extra):
    inventory = write_layer_inventory(
        tmp_path / f"hosts-{len(list(tmp_path.glob('hosts-*')))}.yml",
        waves,
        hostvars={
            "lab-apt-01": {"reboot_policy": "never"},
            "lab-apt-02": {"reboot_policy": "never"},
            "lab-junos-01": {"everylayer_core": True},
        },
        assets={"lab-apt-02": {"criticality": "critical"}},
    )
    base = {
        "change_id": "CHG-LAYERS-1",
        "rollout_approval": approval("CHG-LAYERS-1"),
        "apply_names": ["lab-agent", "lab-cron"],
        "rollout_manifest_dir": str(tmp_path / "manifests"),
        "rollout_targets": {"firmware": {"BIOS": BIOS}},  # network: the lab's everylayer_network_image(_version)
        "apply_network_backup_dir": str(tmp_path / "backups"),
        "rollback_network_backup_dir": str(tmp_path / "backups"),
        "apply_network_reload_poll_interval": 1,
        "rollback_network_reload_poll_interval": 1,
        "apply_firmware_poll_interval": 0.5,
        "rollback_firmware_poll_interval": 0.5,
        "reboot_firmware_poll_interval": 0.5,
        "rollout_staged_serial": [3],
        "rollout_full_serial": [2],
    }
    base.update(extra)
    base = wave_settings(base)
    base.setdefault("rollout_run_waves", inventory_waves(inventory, base.get("rollout_waves")))
    return run_playbook("rollout.yml", inventory, store, base)


def changes_by_host(store) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for record in evidence(store):
        if record["kind"] == "change" and record["data"].get("changes"):
            found.setdefault(record["host"], []).append(record["data"])
    return found


def test_rollout_across_os_network_and_firmware_with_faults(tmp_path, estate):
    store = tmp_path / "evidence.sqlite"
    lab("fault", "netdev", "boot-fail", "lab-nxos-01")
    lab("fault", "bmc", "task-fail-at", "lab-bmc-02", "55")
    run = run_rollout(
        tmp_path,
        store,
        WAVES,
        rollout_staged_max_fail_percentage=70,
        rollout_gate_staged_min_success=0.3,
    )
    out = run.stdout
    assert run.returncode == 2, out[-4000:]  # two hosts failed (on purpose); the rollout went through
    assert "lab-nxos-01 failed in wave staged" in out and "lab-bmc-02 failed in wave staged" in out

    # -- the devices themselves ------------------------------------------------------------------------------
    assert versions("lab-apt-01") == PATCHED and versions("lab-apt-02") == PATCHED
    for device in ("lab-ios-01", "lab-eos-01", "lab-junos-01"):
        state = netdev_state(device)
        assert (state["image"], state["version"]) == new(device), device
    nxos = netdev_state("lab-nxos-01")
    assert (nxos["image"], nxos["version"]) == old("lab-nxos-01")  # came back on the old image, rolled back
    assert nxos["boot"][0] == old("lab-nxos-01")[0]  # and boots it next time too
    assert bmc_versions("lab-bmc-01")["BIOS"] == "2.3.0"  # staged OnReset, activated by the reboot role
    assert bmc_versions("lab-bmc-02")["BIOS"] == "2.2.4"  # the failed task changed nothing

    # -- the evidence: change records per layer ----------------------------------------------------------------
    changed = changes_by_host(store)
    layers = {host: {record["layer"] for record in records} for host, records in changed.items()}
    assert layers["lab-apt-01"] == {"os"} and layers["lab-apt-02"] == {"os"}
    for device in ("lab-ios-01", "lab-eos-01", "lab-junos-01"):
        assert layers[device] == {"network"}, device
        image_change = changed[device][0]["changes"][0]
        assert image_change["kind"] == "image" and image_change["after"] == new(device)[1]
    bios = [c for r in changed["lab-bmc-01"] for c in r["changes"]]
    assert layers["lab-bmc-01"] == {"firmware"}
    assert {(c["component"], c["before"], c["after"]) for c in bios} == {("BIOS", "2.2.4", "2.3.0")}
    assert "lab-bmc-02" not in changed

    # -- decisions: rollback and unchanged outcomes, gates, frozen manifest, core devices one at a time ------------
    # nxos came back on its old image: its failed change record lists no change, so the rollback that ran is
    # recorded as unchanged (never "rolled back" for a host that never changed, issue 19)
    assert decisions(store, "rolled_back") == []
    unchanged = {d["host"]: d for d in decisions(store, "unchanged")}
    assert set(unchanged) == {"lab-nxos-01", "lab-bmc-02"}
    assert "lists no change" in unchanged["lab-nxos-01"]["note"]
    assert unchanged["lab-bmc-02"]["version"] == "2.2.4" and "ApplyFailed" in unchanged["lab-bmc-02"]["reason"]
    gates = {g["wave"]: g for g in decisions(store, "gate")}
    assert set(gates) == {"pilot", "staged"}
    counts = {k: int(v) for k, v in gates["staged"]["counts"].items() if v}
    assert counts == {"patched": 1, "unchanged": 2}
    frozen = decisions(store, "manifest_frozen")[0]["manifest"]
    assert frozen["apt"] == PATCHED
    assert frozen["network"]["cisco_ios"]["version"] == new("lab-ios-01")[1]
    assert frozen["firmware"]["BIOS"]["version"] == "2.3.0"
    assert frozen["firmware"]["BIOS"]["image_uri"].endswith("/bios-2.3.0.bin")  # resolved on the pilot BMC
    assert out.count("PLAY [Core devices, one at a time, of wave full]") == 2  # junos and apt-02, one batch each
    assert verify(store)["ok"]

    # -- a later run continues from the frozen manifest: staged installs what pilot tested, not the new target ---
    lab("fault", "bmc", "clear", "lab-bmc-02")
    manifest_file = next((tmp_path / "manifests").glob("*.json"))
    assert json.loads(manifest_file.read_text())["manifest"]["firmware"]["BIOS"]["version"] == "2.3.0"
    later = run_rollout(
        tmp_path,
        tmp_path / "evidence-2.sqlite",
        {"lab-bmc-02": "staged"},
        rollout_waves="staged,full",
        rollout_manifest_file=str(manifest_file),
        rollout_targets={"firmware": {"BIOS": dict(BIOS, version="2.1.0", image_uri=BIOS["rollback_image"])}},
    )
    assert later.returncode == 0, later.stdout[-4000:]
    assert bmc_versions("lab-bmc-02")["BIOS"] == "2.3.0"


def test_later_waves_need_a_pilot_tested_target_when_asked(tmp_path, estate):
    """rollout_require_pilot_target: a staged device whose platform pilot did not test is deferred, not patched."""
    store = tmp_path / "evidence.sqlite"
    run = run_rollout(
        tmp_path,
        store,
        {"lab-ios-01": "pilot", "lab-eos-01": "staged", "lab-bmc-02": "staged"},
        rollout_require_pilot_target=True,
    )
    assert run.returncode == 0, run.stdout[-4000:]
    assert (netdev_state("lab-ios-01")["image"], netdev_state("lab-ios-01")["version"]) == new("lab-ios-01")
    assert (netdev_state("lab-eos-01")["image"], netdev_state("lab-eos-01")["version"]) == old("lab-eos-01")
    assert bmc_versions("lab-bmc-02")["BIOS"] == "2.2.4"
    deferred = {d["host"]: d["reason"] for d in decisions(store, "deferred")}
    assert deferred == {
        "lab-eos-01": "no tested rollout target for network arista_eos",
        "lab-bmc-02": "no tested rollout target for firmware BIOS",
    }
    assert versions("lab-apt-01") == BASELINE  # not in this rollout


def test_rollback_playbook_undoes_network_and_firmware_from_the_evidence(tmp_path, estate):
    """playbooks/rollback.yml reads a run's network and firmware change records back and undoes them."""
    store = tmp_path / "evidence.sqlite"
    waves = {"lab-ios-01": "pilot", "lab-bmc-01": "pilot"}
    run = run_rollout(
        tmp_path,
        store,
        waves,
        rollout_waves="pilot",
        rollout_targets={"firmware": {"BIOS": dict(BIOS, apply_time="Immediate")}},
    )
    assert run.returncode == 0, run.stdout[-4000:]
    assert netdev_state("lab-ios-01")["version"] == new("lab-ios-01")[1]
    assert bmc_versions("lab-bmc-01")["BIOS"] == "2.3.0"
    run_id = next(r["run_id"] for r in evidence(store) if r["kind"] == "change")
    inventory = write_layer_inventory(tmp_path / "rollback-hosts.yml", waves, {}, {})
    undo = run_playbook(
        "rollback.yml",
        inventory,
        store,
        {
            "rollback_run_id": run_id,
            "rollback_network_backup_dir": str(tmp_path / "backups"),
            "rollback_network_reload_poll_interval": 1,
            "rollback_firmware_poll_interval": 0.5,
        },
    )
    assert undo.returncode == 0, undo.stdout[-4000:]
    state = netdev_state("lab-ios-01")
    assert (state["image"], state["version"]) == old("lab-ios-01")
    assert bmc_versions("lab-bmc-01")["BIOS"] == "2.2.4"
    assert {r["host"] for r in evidence(store) if r["kind"] == "rollback"} >= {"lab-ios-01", "lab-bmc-01"}
    assert verify(store)["ok"]
