"""Rollback of an update WUA will not uninstall (combined cumulative updates, 0x80240028): DISM removes its package
by the identity the change record carries (runner + lab/winsim/wua.py, the model the simulated host answers with)."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.argspec import RollbackError, rollback_kbs
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.runner import Run
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.selection import Selection
from helpers.change_record import problems

CU = "d4e5f607-0809-4aab-9bcd-e01234567806"  # KB5099001: combined cumulative update, IsUninstallable false
IDENTITY = "Package_for_RollupFix~31bf3856ad364e35~amd64~~17763.9999.1.0"


def patch(target):
    result = Run(target, Selection(), reboot=True).execute()
    assert not result.get("failed"), result["msg"]
    return result


def rollback(target, block, check_mode=False):
    kbs, identities = rollback_kbs(block)
    return Run(
        target,
        Selection(),
        state="rolled_back",
        kbs=kbs,
        package_identities=identities,
        reboot=True,
        check_mode=check_mode,
    ).execute()


def test_the_change_record_names_the_package_dism_would_remove(target):
    data = patch(target)["rollback"]["data"]
    assert data["kbs"] == ["KB4470788", "KB4487038", "KB5099001"]
    assert data["updates"]["KB5099001"] == {"id": CU, "package_identity": IDENTITY, "method": "dism"}
    assert data["updates"]["KB4470788"]["method"] == "wua"
    assert data["not_uninstallable"] == ["KB890830"]  # no package identity: nothing can remove it


def test_rollback_removes_the_cumulative_update_with_dism_and_verifies(target):
    block = patch(target)["rollback"]
    forecast = rollback(target, block, check_mode=True)
    assert not forecast.get("failed"), forecast["msg"]
    assert sorted(c["component"] for c in forecast["changes"]) == ["KB4470788", "KB4487038", "KB5099001"]
    assert CU in target.model.load()["installed"]  # check mode removed nothing

    result = rollback(target, block)
    assert not result.get("failed"), result["msg"]
    methods = {c["component"]: c["details"]["method"] for c in result["changes"]}
    assert methods == {"KB4470788": "wua", "KB4487038": "wua", "KB5099001": "dism"}
    state = target.model.load()
    assert CU not in state["installed"]
    uninstall_call = next(args for op, args in target.calls if op == "uninstall")
    assert uninstall_call["package_identities"] == {"KB5099001": IDENTITY}
    # DISM is not WUA: no uninstall entry in the update history for the cumulative update
    assert [h["kb"] for h in state["history"] if h["operation"] == "uninstall"] == ["KB4470788", "KB4487038"]
    assert problems(result) == []


def test_without_a_package_identity_wua_refuses_and_the_task_names_it(target):
    patch(target)
    result = Run(target, Selection(), state="rolled_back", kbs=["KB5099001"]).execute()
    assert result["failed"] and "KB5099001" in result["msg"] and "WU_E_UNINSTALL_NOT_ALLOWED" in result["msg"]
    assert CU in target.model.load()["installed"]


def test_a_wrong_package_identity_fails_with_dism_s_own_words(target):
    block = patch(target)["rollback"]
    block["data"]["updates"]["KB5099001"]["package_identity"] = "Package_for_RollupFix~bogus"
    result = rollback(target, block)
    assert result["failed"]
    assert "uninstall of KB5099001" in result["msg"] and "CBS_E_INVALID_PACKAGE" in result["msg"]
    assert "Remove-WindowsPackage -PackageName Package_for_RollupFix~bogus" in result["msg"]
    assert CU in target.model.load()["installed"]


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"strategy": "packages"}, "got strategy 'packages'"),
        ({"strategy": "kb", "data": {"manager": "apt", "kbs": []}}, "rollback.data.manager"),
        ({"strategy": "kb", "data": {"manager": "windows_update", "kbs": "KB1"}}, "rollback.data.kbs"),
        ({"strategy": "kb", "data": {"manager": "windows_update", "kbs": [], "updates": []}}, "rollback.data.updates"),
    ],
)
def test_a_rollback_block_that_is_not_windows_is_refused_naming_the_field(block, message):
    with pytest.raises(RollbackError, match=message):
        rollback_kbs(block)


def test_a_record_that_installed_nothing_has_nothing_to_roll_back():
    assert rollback_kbs({"strategy": "none"}) == ([], {})
