"""Filters of the rollout playbook."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.everylayer.patch.plugins.filter.rollout import (
    change_versions,
    freeze_manifest,
    rollout_plan,
    window_decision,
)


def change(name, before, after):
    return {"component": name, "kind": "package", "before": before, "after": after}


def test_freeze_manifest_keys_by_manager_and_skips_failed_hosts():
    hosts = [
        {
            "rollout_outcome": "patched",
            "rollout_manifest_key": "apt",
            "apply_result": {"changes": [change("lab-agent", "1.0-1", "1.2-1"), change("lab-old", "1.0-1", None)]},
        },
        {
            "rollout_outcome": "patched",
            "rollout_manifest_key": "dnf",
            "apply_result": {"changes": [change("lab-agent", "1.0-1", "1.2-1.el9")]},
        },
        {
            "rollout_outcome": "rolled_back",
            "rollout_manifest_key": "apt",
            "apply_result": {"changes": [change("lab-web", "1.0-1", "1.2-1")]},
        },
        {"rollout_outcome": "deferred", "rollout_manifest_key": "apt"},
    ]
    assert freeze_manifest(hosts) == {"apt": {"lab-agent": "1.2-1"}, "dnf": {"lab-agent": "1.2-1.el9"}}


def test_freeze_manifest_refuses_disagreeing_pilots():
    hosts = [
        {
            "rollout_outcome": "patched",
            "rollout_manifest_key": "apt",
            "apply_result": {"changes": [change("lab-agent", "1.0-1", "1.2-1")]},
        },
        {
            "rollout_outcome": "patched",
            "rollout_manifest_key": "apt",
            "apply_result": {"changes": [change("lab-agent", "1.0-1", "1.1-1")]},
        },
    ]
    with pytest.raises(AnsibleFilterError, match="different versions of lab-agent for apt: 1.2-1 and 1.1-1"):
        freeze_manifest(hosts)


def test_window_decision_wraps_policy_errors():
    with pytest.raises(AnsibleFilterError, match="window policy: maintenance window 'x' is not defined"):
        window_decision("x", {"windows": {}}, "2026-11-23T12:00:00Z")
    assert window_decision("always", {}, "2026-11-23T12:00:00Z")["allowed"] is True


def test_change_versions_reads_one_side_of_one_kind():
    changes = [
        change("lab-agent", "1.0-1", "1.2-1"),
        change("lab-new", None, "1.0-1"),
        {"component": "BIOS", "kind": "firmware", "before": "2.2.4", "after": "2.3.0"},
    ]
    assert change_versions(changes) == {"lab-agent": "1.2-1", "lab-new": "1.0-1"}
    assert change_versions(changes, "before") == {"lab-agent": "1.0-1", "lab-new": None}
    assert change_versions(changes, "after", "firmware") == {"BIOS": "2.3.0"}
    assert change_versions(None) == {}
    with pytest.raises(AnsibleFilterError, match="side must be before or after"):
        change_versions(changes, "during")


def test_rollout_plan_wraps_plan_errors():
    with pytest.raises(AnsibleFilterError, match="rollout plan: asset layer 'mainframe' cannot be rolled out"):
        rollout_plan({"layers": ["mainframe"]}, True, {"allowed": True}, {}, "any")
    plan = rollout_plan({"layers": ["os"]}, False, {"allowed": True}, {"dnf": {"lab-agent": "1.2-1"}}, "dnf")
    assert plan["manifest"] == {"lab-agent": "1.2-1"} and plan["deferred"] is None


def test_version_mismatches_names_each_component_off_its_version():
    from ansible_collections.everylayer.patch.plugins.filter.rollout import version_mismatches

    devices = [{"id": "BIOS", "version": "2.2.4"}, {"id": "BMC", "version": "1.1"}]
    assert version_mismatches(devices, {"BIOS": "2.3.0", "BMC": "1.1", "NIC": "5"}) == [
        "BIOS runs 2.2.4, not 2.3.0",
        "NIC runs ?, not 5",
    ]
    # a rollback block's components map to {version, ...}
    assert version_mismatches(devices, {"BIOS": {"version": "2.2.4"}}, " after the rollback") == []
    assert version_mismatches([], {"BIOS": {"version": "2.2.4"}}, " after the rollback") == [
        "BIOS runs ? after the rollback, not 2.2.4"
    ]
