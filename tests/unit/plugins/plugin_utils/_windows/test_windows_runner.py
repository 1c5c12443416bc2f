"""The windows_updates loop: rounds, reboots, filters, deferral, frozen manifests, resume after a drop, faults."""

from __future__ import annotations

import datetime as dt

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.runner import Run
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.selection import Selection
from helpers.change_record import problems

CU = "d4e5f607-0809-4aab-9bcd-e01234567806"  # KB5099001, released 2 days ago in the catalogue
SSU = "8f1e6f3b-1a40-4c3c-9b0d-6a3f2a1c0b01"  # KB4470788, reboot always
MSRT = "39f9cdd1-795c-4d0e-8c0a-73ab3f31746d"  # KB890830, not uninstallable


def run(target, state="patched", **kwargs):
    sel = {
        k: kwargs.pop(k)
        for k in list(kwargs)
        if k
        in (
            "category_names",
            "min_severity",
            "accept_list",
            "reject_list",
            "deferral_days",
            "security_only",
            "update_ids",
        )
    }
    return Run(target, Selection(**sel), state=state, **kwargs).execute()


def kbs(entries):
    return sorted(e["component"] for e in entries)


def test_scan_reports_selection_and_changes_nothing(target):
    result = run(target, "scanned")
    assert not result["changed"] and not result.get("failed")
    assert kbs(result["pending"]) == ["KB4470788", "KB4487038", "KB5099001", "KB890830"]
    assert [f["kb"] for f in result["filtered"]] == [["KB2267602"]]  # Definition Updates not in the defaults
    assert target.ops() == ["search"]


def test_superseded_update_is_not_offered(target):
    result = run(target, "scanned", category_names=["*"])
    assert "KB4480979" not in kbs(result["pending"])


def test_patch_without_reboot_stops_after_the_round_that_needs_one(target):
    result = run(target, reboot=False)
    assert result["changed"] and not result.get("failed")
    assert len(result["rounds"]) == 1 and result["rebooted"] == 0
    assert result["reboot_required"] is True
    assert "reboot is false" in result["msg"]
    assert target.reboots == 0


def test_patch_with_reboot_rounds_until_nothing_left(target):
    result = run(target, reboot=True)
    assert not result.get("failed"), result["msg"]
    assert result["rebooted"] == 1 and result["reboot_required"] is False
    assert kbs(result["changes"]) == ["KB4470788", "KB4487038", "KB5099001", "KB890830"]
    assert all(not c["reboot_required"] for c in result["changes"])
    assert result["rollback"]["strategy"] == "kb"
    assert result["rollback"]["data"]["not_uninstallable"] == ["KB890830"]
    assert "KB890830" not in result["rollback"]["data"]["kbs"]
    again = run(target, reboot=True)
    assert not again["changed"] and again["changes"] == [] and again["rounds"] == []


def _add_dependent(target):
    """KB5099002 is offered only once KB5099001 is installed and the host rebooted (a prerequisite)."""
    state = target.model.load()
    state["catalogue"].append(
        {
            "id": "e5f60718-0000-4000-8000-000000000007",
            "kb": "KB5099002",
            "title": "Cumulative Update (KB5099002)",
            "categories": ["Security Updates"],
            "msrc_severity": "Critical",
            "release_date": "2026-01-01T00:00:00Z",
            "reboot_behavior": "always",
            "uninstallable": True,
            "requires": CU,
        }
    )
    target.model.save(state)


def test_prerequisite_chain_takes_a_second_round(target):
    _add_dependent(target)
    result = run(target, reboot=True, accept_list=["KB509900[12]"], max_rounds=3)
    assert not result.get("failed"), result["msg"]
    assert [r["installed"] for r in result["rounds"]] == [["KB5099001"], ["KB5099002"]]
    assert result["rebooted"] == 2 and result["pending"] == []


def test_max_rounds_leaves_the_rest_pending(target):
    _add_dependent(target)
    result = run(target, reboot=True, accept_list=["KB509900[12]"], max_rounds=1)
    assert not result.get("failed"), result["msg"]
    assert kbs(result["changes"]) == ["KB5099001"] and kbs(result["pending"]) == ["KB5099002"]
    assert "max_rounds (1) reached with 1 update(s) left" in result["msg"]


def test_filters_severity_security_accept_reject(target):
    result = run(target, "scanned", min_severity="Critical")
    assert kbs(result["pending"]) == ["KB4470788"]
    result = run(target, "scanned", security_only=True, reject_list=["KB44.*"])
    assert kbs(result["pending"]) == ["KB5099001"]
    result = run(target, "scanned", accept_list=[r".*Malicious Software.*"])
    assert kbs(result["pending"]) == ["KB890830"]
    # full match: a prefix is not enough
    assert run(target, "scanned", accept_list=["KB4470"])["pending"] == []


def test_deferral_leaves_out_recent_updates(target):
    result = run(target, "scanned", deferral_days=7)
    assert "KB5099001" not in kbs(result["pending"])
    reason = next(f["reason"] for f in result["filtered"] if f["kb"] == ["KB5099001"])
    assert reason == "released 2 day(s) ago, deferral_days is 7"
    today = dt.datetime.now(dt.UTC).date()
    sel = Selection(deferral_days=2, today=today)
    assert (
        sel.reason_to_skip(
            {
                "id": "x",
                "kb": ["KB1"],
                "categories": ["Security Updates"],
                "release_date": (today - dt.timedelta(days=2)).isoformat() + "T00:00:00Z",
            }
        )
        is None
    )


def test_frozen_manifest_installs_exactly_those_ids(target):
    result = run(target, update_ids=[CU], reboot=True)
    assert kbs(result["changes"]) == ["KB5099001"]
    again = run(target, update_ids=[CU], reboot=True)  # installed already: no change, not a failure
    assert not again["changed"] and not again.get("failed")


def test_frozen_manifest_id_unknown_to_the_host_fails_naming_it(target):
    result = run(target, update_ids=[CU, "00000000-dead-beef-0000-000000000000"])
    assert result["failed"] and "00000000-dead-beef-0000-000000000000" in result["msg"]
    assert result["changes"] == []


def test_download_failure_names_kb_and_hresult_meaning(target):
    target.faults(download_fail={"KB4487038": "0x80240438"})
    result = run(target, "downloaded")
    assert result["failed"]
    assert "download of KB4487038" in result["msg"] and "WU_E_PT_ENDPOINT_UNREACHABLE" in result["msg"]
    assert result["changes"] == []  # pre-stage installs nothing
    assert "KB4470788" in result["downloaded"]


def test_install_failure_still_carries_the_change_record(target):
    target.faults(install_fail={"KB4470788": "0x80070070"})
    result = run(target, reboot=True)
    assert result["failed"] and "install of KB4470788" in result["msg"] and "ERROR_DISK_FULL" in result["msg"]
    assert "KB4487038" in kbs(result["changes"])
    assert result["rounds"][0]["failed"] == ["KB4470788"]


def test_connection_drop_during_install_is_resumed_from_history(target):
    target.faults(drop_during_install=1)
    result = run(target, reboot=True)
    assert not result.get("failed"), result["msg"]
    assert result["rounds"][0]["resumed"] is True
    assert kbs(result["changes"]) == ["KB4470788", "KB4487038", "KB5099001", "KB890830"]
    assert target.reconnects == 1 and "history" in target.ops()


def test_reboot_that_never_returns_fails_with_the_change_record(target):
    target.faults(reboot_never_returns=True)
    result = run(target, reboot=True, reboot_timeout=5)
    assert result["failed"] and "did not answer over WinRM within 5s" in result["msg"]
    assert kbs(result["changes"]) == ["KB4470788", "KB4487038", "KB5099001", "KB890830"]


def test_update_that_reappears_after_reboot_fails_naming_it(target):
    target.faults(reappear_after_reboot=["KB5099001"])
    result = run(target, reboot=True)
    assert result["failed"]
    assert "KB5099001" in result["msg"] and "applicable again after the reboot" in result["msg"]
    assert "CBS_E_INSTALLERS_FAILED" in result["msg"]
    assert "KB5099001" not in kbs(result["changes"]) and "KB5099001" in kbs(result["pending"])
    assert target.reboots == 1  # not reinstalled round after round


def test_check_mode_forecasts_from_a_real_search(target):
    result = run(target, check_mode=True, reboot=True)
    assert result["simulated"] and result["changed"]
    assert kbs(result["changes"]) == ["KB4470788", "KB4487038", "KB5099001", "KB890830"]
    assert target.ops() == ["search"] and target.model.load()["installed"] == {}


def test_rollback_uninstalls_and_verifies(target):
    run(target, reboot=True)
    result = run(target, "rolled_back", kbs=["KB4470788", "KB4487038"], reboot=True)
    assert not result.get("failed"), result["msg"]
    assert [(c["component"], c["after"]) for c in result["changes"]] == [("KB4470788", None), ("KB4487038", None)]
    assert result["rebooted"] == 1
    state = target.model.load()
    assert SSU not in state["installed"] and MSRT in state["installed"]


def test_rollback_of_a_non_uninstallable_update_is_named(target):
    run(target, reboot=True)
    result = run(target, "rolled_back", kbs=["KB890830"])
    assert result["failed"] and "KB890830" in result["msg"] and "WU_E_UNINSTALL_NOT_ALLOWED" in result["msg"]
    check = run(target, "rolled_back", kbs=["KB890830"], check_mode=True)
    assert check["failed"] and "cannot be uninstalled" in check["msg"]


def test_search_failure_names_the_hresult(target):
    target.faults(search_fail="0x8024402C")
    result = run(target, "scanned")
    assert result["failed"] and "WU_E_PT_WINHTTP_NAME_NOT_RESOLVED" in result["msg"]


@pytest.mark.parametrize("state", ["scanned", "downloaded", "patched"])
def test_results_keep_the_change_record_contract(target, state):
    target.faults(install_fail={"KB4470788": "0x80070070"})
    assert problems(run(target, state, reboot=True)) == []
    assert problems(run(target, state, check_mode=True)) == []


def test_rollback_result_keeps_the_change_record_contract(target):
    run(target, reboot=True)
    assert problems(run(target, "rolled_back", kbs=["KB4470788", "KB890830"])) == []


def test_rollback_without_kbs_fails_instead_of_succeeding_on_nothing(target):
    result = run(target, "rolled_back", kbs=[])
    assert result["failed"] and "needs kbs" in result["msg"]
    assert target.ops() == []
