"""Windows hosts in a rollout: planned like an OS host, their frozen share is {KB: update id} (plan.py)."""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.plan import (
    PlanError,
    check_manifest,
    freeze,
    host_plan,
)

OPEN = {"allowed": True, "reason": "inside window always"}
CLOSED = {"allowed": False, "reason": "outside window weeknights"}
WINDOWS = {"layers": ["windows"], "platform": {"distribution": "windows", "version": "2019"}}
CU = "d4e5f607-0809-4aab-9bcd-e01234567806"
SSU = "8f1e6f3b-1a40-4c3c-9b0d-6a3f2a1c0b01"


def change(kb, update_id, after=True):
    version = f"{update_id}.200"
    return {
        "component": kb,
        "kind": "update",
        "before": None if after else version,
        "after": version if after else None,
        "details": {"id": update_id, "title": kb, "categories": ["Security Updates"]},
    }


def windows_host(outcome, changes, group="windows_update"):
    return {
        "rollout_outcome": outcome,
        "rollout_plan": {"layer": "windows", "manifest_group": group, "target_name": None, "target": {}},
        "apply_result": {"layer": "windows", "changed": bool(changes), "changes": changes},
    }


def test_windows_assets_are_planned_not_refused():
    pilot = host_plan(WINDOWS, True, OPEN, {}, "any")
    assert pilot == {
        "layer": "windows",
        "manifest_group": "windows_update",  # no package manager in the asset: the change record's manager
        "manifest": {},
        "target_name": None,
        "target": {},
        "deferred": None,
    }
    # an asset that names its own group keeps it (Windows versions that install different ids for one KB)
    assert host_plan(WINDOWS, True, OPEN, {}, "windows_2022")["manifest_group"] == "windows_2022"


def test_later_waves_install_exactly_the_frozen_ids_and_wait_without_them():
    frozen = {"windows_update": {"KB5099001": CU}, "apt": {"lab-agent": "1.2-1"}}
    staged = host_plan(WINDOWS, False, OPEN, frozen, "windows_update")
    assert staged["manifest"] == {"KB5099001": CU} and staged["deferred"] is None
    staged["manifest"]["KB1"] = "x"  # a copy: the host cannot change the rollout's manifest
    assert frozen["windows_update"] == {"KB5099001": CU}
    assert (
        host_plan(WINDOWS, False, OPEN, {"apt": {"lab-agent": "1.2-1"}}, "any")["deferred"]
        == "no tested updates for windows_update (none frozen by a freezing wave)"
    )
    assert host_plan(WINDOWS, False, CLOSED, frozen, "any")["deferred"] == "outside window weeknights"


def test_pilot_freezes_the_ids_its_windows_hosts_installed_next_to_the_packages():
    os_host = {
        "rollout_outcome": "patched",
        "rollout_plan": {"layer": "os", "manifest_group": "apt"},
        "apply_result": {"changes": [{"component": "lab-agent", "kind": "package", "after": "1.2-1"}]},
    }
    hosts = [
        windows_host("patched", [change("KB5099001", CU), change("KB4470788", SSU)]),
        windows_host("patched", [change("KB5099001", CU)]),  # the same update on a second pilot host
        windows_host("rolled_back", [change("KB9999999", "not-frozen")]),  # not patched: not frozen
        windows_host("patched", [change("KB4487038", "removed", after=False)]),  # a removal: nothing installed
        os_host,
    ]
    manifest = freeze(hosts)
    assert manifest == {
        "windows_update": {"KB5099001": CU, "KB4470788": SSU},
        "apt": {"lab-agent": "1.2-1"},
    }
    assert check_manifest(manifest, "test") is manifest  # the manifest file's check accepts it


def test_two_pilot_hosts_with_different_ids_for_one_kb_cannot_be_frozen_together():
    hosts = [windows_host("patched", [change("KB5099001", CU)]), windows_host("patched", [change("KB5099001", SSU)])]
    with pytest.raises(PlanError, match=f"different versions of KB5099001 for windows_update: {CU} and {SSU}"):
        freeze(hosts)
    # in their own groups (rollout_manifest_key per Windows version) both are frozen
    hosts[1]["rollout_plan"]["manifest_group"] = "windows_2022"
    assert freeze(hosts) == {"windows_update": {"KB5099001": CU}, "windows_2022": {"KB5099001": SSU}}


def test_a_windows_change_without_an_update_id_stops_the_freeze():
    broken = windows_host("patched", [{"component": "KB1", "kind": "update", "after": "x"}])
    with pytest.raises(PlanError, match="windows manifest: record 0: change 'KB1' has no update id"):
        freeze([broken])
