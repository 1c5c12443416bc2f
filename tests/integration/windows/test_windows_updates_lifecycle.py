"""windows_updates through ansible-playbook and ansible.builtin.winrm against the simulated host: every state,
check mode, diff, reboot rounds, idempotence, rollback and verification in one playbook run."""

from __future__ import annotations

import hashlib
import json

import pytest
from helpers.change_record import problems
from winsim_driver import REPO, run_playbook

pytestmark = pytest.mark.slow

ALL = ["KB4470788", "KB4487038", "KB5099001", "KB890830"]


@pytest.fixture(scope="module")
def results(winhost, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lifecycle")
    out = tmp / "results.json"
    run = run_playbook("lifecycle.yml", {"lab-win-01": winhost.hostvars()}, tmp, out=out)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return json.loads(out.read_text())


def kbs(entries):
    return sorted(e["component"] for e in entries)


def test_raw_runs_over_sealed_ntlm(results):
    assert results["raw"]["stdout"].strip() == "LAB-WIN-01"


def test_the_real_ps1_is_shipped_with_ansible_basic(results, winhost):
    """The exec wrapper carried plugins/modules/windows_updates.ps1 itself (not the .py) and the Ansible.Basic util."""
    digest = hashlib.sha256((REPO / "plugins/modules/windows_updates.ps1").read_bytes()).hexdigest()
    shipped = [line for line in winhost.calls() if line.startswith("script ") and " sha256 " in line]
    assert shipped and all(f"sha256 {digest}" in line for line in shipped)
    assert all("Ansible.Basic" in line.split(" csharp ")[1] for line in shipped)


def test_scan_check_mode_and_filters(results):
    assert results["scan_check"]["changed"] is False and results["scan_check"]["simulated"] is True
    assert kbs(results["scan"]["pending"]) == ["KB4470788", "KB4487038"]  # KB5099001 is 2 days old
    reasons = {f["kb"][0]: f["reason"] for f in results["scan"]["filtered"]}
    assert reasons["KB5099001"].startswith("released 2 day(s) ago")
    assert reasons["KB890830"].startswith("MSRC severity none below")


def test_download_prestages_without_installing(results, winhost):
    download = results["download"]
    assert download["changed"] is True and download["changes"] == []
    assert sorted(download["downloaded"]) == ["KB4470788", "KB4487038", "KB5099001"]
    assert any(f["kb"] == ["KB890830"] and "reject_list" in f["reason"] for f in download["filtered"])


def test_patch_check_mode_forecasts_with_diff(results):
    check = results["patch_check"]
    assert check["simulated"] is True and check["changed"] is True and check["rebooted"] == 0
    assert kbs(check["changes"]) == ALL
    assert "KB5099001 d4e5f607" in check["diff"]["after"]


def test_patch_installs_reboots_and_records(results, winhost):
    patch = results["patch"]
    assert patch["changed"] is True and patch["layer"] == "windows"
    assert kbs(patch["changes"]) == ALL
    assert patch["rebooted"] == 1 and patch["reboot_required"] is False
    assert patch["rounds"][0]["installed"] and patch["rounds"][0]["rebooted"] is True
    assert patch["rollback"]["data"]["not_uninstallable"] == ["KB890830"]
    cu = next(c for c in patch["changes"] if c["component"] == "KB5099001")
    assert cu["advisories"] == ["KB5099001", "CVE-2026-21001"] and cu["severity"] == "high"
    assert any("shutdown.exe /r" in line for line in winhost.calls())
    # the install outlasted one Receive (OperationTimeout fault) and ansible's winrm plugin received again
    assert "receive OperationTimeout for install" in winhost.calls()


def test_patch_again_is_idempotent(results):
    again = results["patch_again"]
    assert again["changed"] is False and again["changes"] == [] and again["rebooted"] == 0


def test_rollback_check_then_rollback_and_verify(results, winhost):
    check = results["rollback_check"]
    assert check["simulated"] is True and kbs(check["changes"]) == ["KB4470788", "KB4487038", "KB5099001"]
    rollback = results["rollback"]
    assert rollback["changed"] is True and rollback["rebooted"] == 1
    assert all(c["after"] is None for c in rollback["changes"])
    # the combined cumulative update WUA will not uninstall went through DISM, by the identity its install recorded
    method = {c["component"]: c["details"]["method"] for c in rollback["changes"]}
    assert method == {"KB4470788": "wua", "KB4487038": "wua", "KB5099001": "dism"}
    identity = results["patch"]["rollback"]["data"]["updates"]["KB5099001"]["package_identity"]
    assert identity.startswith("Package_for_RollupFix~") and f"dism remove {identity}" in winhost.calls()
    assert kbs(results["after"]["pending"]) == ["KB4470788", "KB4487038", "KB5099001"]


def test_every_result_keeps_the_change_record_contract(results):
    for name, result in results.items():
        if name == "raw":
            continue
        assert problems(result) == [], name
