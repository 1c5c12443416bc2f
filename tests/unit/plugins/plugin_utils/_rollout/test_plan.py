"""A host's plan in a rollout wave, and the manifest pilot freezes (plugin_utils/_rollout/plan.py)."""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.plan import (
    PlanError,
    freeze,
    host_plan,
    load_manifest,
)

OPEN = {"allowed": True, "reason": "inside window always"}
CLOSED = {"allowed": False, "reason": "outside window weeknights"}
OS = {"layers": ["os"]}
NETWORK = {"layers": ["network"]}
FIRMWARE = {"layers": ["firmware"]}
TARGETS = {
    "network": {"ios": {"image": "images/ios-17.bin", "version": "17.9.4"}},
    "firmware": {
        "BIOS": {"version": "2.3.0", "image_uri": "https://bmc/bios.bin"},
        "dev-1": {"version": "1.2.4", "backend": "fwupd"},
    },
}
FROZEN = {
    "apt": {"lab-agent": "1.2-1"},
    "network": {"ios": {"image": "images/ios-17.bin", "version": "17.9.3"}},
    "firmware": {"BIOS": {"version": "2.2.9", "component": "BIOS", "backend": "redfish"}},
}


def test_os_host_installs_its_managers_share_of_the_manifest_after_pilot():
    pilot = host_plan(OS, True, OPEN, {}, "apt")
    assert pilot == {
        "layer": "os",
        "manifest_group": "apt",
        "manifest": {},
        "target_name": None,
        "target": {},
        "deferred": None,
    }
    staged = host_plan(OS, False, OPEN, FROZEN, "apt")
    assert staged["manifest"] == {"lab-agent": "1.2-1"} and staged["deferred"] is None
    # the plan is a copy: the host cannot change the rollout's manifest through it
    staged["manifest"]["lab-agent"] = "9"
    assert FROZEN["apt"]["lab-agent"] == "1.2-1"


def test_os_host_without_pilot_tested_packages_is_deferred():
    assert (
        host_plan(OS, False, OPEN, FROZEN, "zypper")["deferred"]
        == "no tested packages for zypper (none frozen by a freezing wave)"
    )
    assert host_plan({}, False, OPEN, {}, "any")["layer"] == "os"


def test_outside_the_window_wins_over_everything_else():
    assert host_plan(OS, False, CLOSED, FROZEN, "apt")["deferred"] == "outside window weeknights"
    assert host_plan(NETWORK, True, CLOSED, {}, "any", TARGETS, {"network_os": "ios"})["deferred"] == (
        "outside window weeknights"
    )


def test_network_device_pilots_the_declared_image_then_installs_the_pilot_tested_one():
    host = {"network_os": "ios"}
    pilot = host_plan(NETWORK, True, OPEN, {}, "any", TARGETS, host)
    assert (pilot["target_name"], pilot["target"]) == ("ios", {"image": "images/ios-17.bin", "version": "17.9.4"})
    staged = host_plan(NETWORK, False, OPEN, FROZEN, "any", TARGETS, host)
    assert staged["target"]["version"] == "17.9.3"


def test_network_device_falls_back_to_its_own_image_variables():
    host = {"network_os": "eos", "network_image": "images/eos.swi", "network_image_version": "4.30.1F"}
    plan = host_plan(NETWORK, True, OPEN, {}, "any", TARGETS, host)
    assert plan["target"] == {"image": "images/eos.swi", "version": "4.30.1F"}
    bare = host_plan(NETWORK, True, OPEN, {}, "any", TARGETS, {"network_os": "eos"})
    assert bare["target"] == {} and bare["deferred"] == "no rollout target for network eos"


def test_require_pilot_target_defers_a_platform_pilot_did_not_test():
    host = {"network_os": "junos", "network_image": "j.tgz", "network_image_version": "23.4R1"}
    assert host_plan(NETWORK, False, OPEN, FROZEN, "any", TARGETS, host)["target"]["version"] == "23.4R1"
    plan = host_plan(NETWORK, False, OPEN, FROZEN, "any", TARGETS, host, require_pilot_target=True)
    assert plan["deferred"] == "no tested rollout target for network junos"


def test_firmware_component_is_the_hosts_own_or_the_first_target_of_its_backend():
    redfish = host_plan(FIRMWARE, True, OPEN, {}, "any", TARGETS, {"firmware_backend": "redfish"})
    assert redfish["target_name"] == "BIOS"
    assert redfish["target"] == {
        "version": "2.3.0",
        "image_uri": "https://bmc/bios.bin",
        "component": "BIOS",
        "backend": "redfish",
    }
    fwupd = host_plan(FIRMWARE, True, OPEN, {}, "any", TARGETS, {"firmware_backend": "fwupd"})
    assert fwupd["target_name"] == "dev-1" and fwupd["target"]["backend"] == "fwupd"
    frozen = host_plan(FIRMWARE, False, OPEN, FROZEN, "any", TARGETS, {"firmware_backend": "redfish"})
    assert frozen["target"]["version"] == "2.2.9"
    unknown = host_plan(FIRMWARE, True, OPEN, {}, "any", TARGETS, {"firmware_component": "NIC"})
    assert unknown["deferred"] == "no rollout target for firmware NIC"


def test_unknown_layer_is_refused():
    with pytest.raises(PlanError, match="asset layer 'mainframe' cannot be rolled out"):
        host_plan({"layers": ["mainframe"]}, True, OPEN, {}, "any")


def change(name, before, after, kind="package"):
    return {"component": name, "kind": kind, "before": before, "after": after}


def patched(layer, **plan):
    return {"rollout_outcome": "patched", "rollout_plan": dict(plan, layer=layer)}


def test_freeze_takes_packages_by_manager_and_targets_by_platform_and_component():
    apt = patched("os", manifest_group="apt")
    apt["apply_result"] = {"changes": [change("lab-agent", "1.0-1", "1.2-1"), change("lab-old", "1.0-1", None)]}
    ios = patched("network", target_name="ios", target={"image": "ios.bin", "version": "17.9.4"})
    bios = patched("firmware", target_name="BIOS", target={"version": "2.3.0", "component": "BIOS"})
    failed = dict(patched("network", target_name="eos", target={"version": "4.31"}), rollout_outcome="rolled_back")
    assert freeze([apt, ios, bios, failed, {"rollout_outcome": "deferred"}]) == {
        "apt": {"lab-agent": "1.2-1"},
        "network": {"ios": {"image": "ios.bin", "version": "17.9.4"}},
        "firmware": {"BIOS": {"version": "2.3.0", "component": "BIOS"}},
    }


def test_freeze_refuses_two_pilot_devices_that_installed_different_images():
    one = patched("network", target_name="ios", target={"version": "17.9.4"})
    two = patched("network", target_name="ios", target={"version": "17.9.5"})
    with pytest.raises(PlanError, match="different versions of ios for network"):
        freeze([one, two])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"manifest": {}}', r"the manifest is empty \(\{\}\)"),
        ("{}", "expected an object with a 'manifest' key"),
        ("[1, 2]", "expected an object with a 'manifest' key"),
        ('{"manifest": ["apt"]}', "manifest must be a mapping of package manager"),
        ('{"manifest": {"apt": "1.0"}}', "manifest.apt must be a non-empty mapping"),
        ('{"manifest": {"apt": {"lab-agent": 1.2}}}', "manifest.apt.lab-agent must be a version string"),
        ('{"manifest": {"network": {"ios": "17.9"}}}', "manifest.network.ios must be a target mapping"),
        ("{not json", "not JSON"),
    ],
)
def test_a_bad_manifest_file_is_named(tmp_path, content, message):
    path = tmp_path / "m.json"
    path.write_text(content)
    with pytest.raises(PlanError, match=message) as err:
        load_manifest(str(path))
    assert str(path) in str(err.value)


def test_a_manifest_file_loads(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('{"run_id": "r", "manifest": {"apt": {"lab-agent": "1.2-1"}}}')
    assert load_manifest(str(path)) == {"apt": {"lab-agent": "1.2-1"}}
    with pytest.raises(PlanError, match="cannot read it"):
        load_manifest(str(tmp_path / "missing.json"))
