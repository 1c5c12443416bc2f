"""everylayer.patch.packages against the lab's apt, dnf and zypper hosts, through the real ansible-playbook.

Order per manager (style.md): scan -> check mode -> patch -> idempotent re-run -> check mode shows no change ->
roll back -> versions back to before (read inside the host with dpkg-query/rpm, not from the module).
Plus the failure cases: a maintainer script failing mid-upgrade, a held lock, a broken repository, an old version
that no repository offers, and bad input. Every module result is validated against the change-record schema.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.change_record import validate
from packages_lab_driver import fault, holder_pid, host_of, installed_versions, lab, reset_host, run_module

pytestmark = [pytest.mark.lab, pytest.mark.slow]

HOSTS = {"apt": "lab-apt-02", "dnf": "lab-dnf-02", "zypper": "lab-zypper-01"}


@pytest.fixture(scope="module", params=sorted(HOSTS))
def host(request):
    yield from reset_host(request.param, HOSTS[request.param])


def _triples(changes):
    return sorted((c["component"], c["before"], c["after"]) for c in changes)


def test_scan_patch_idempotence_rollback(host, tmp_path):
    name = host["name"]
    baseline = installed_versions(host)
    assert len(baseline) >= 20, baseline

    scan = validate(run_module(name, {"state": "scanned"}, tmp_path))
    assert not scan.get("failed"), scan["msg"]
    assert scan["changed"] is False and scan["changes"] == []
    assert scan["manager"] == host["manager"]
    assert len(scan["pending"]) >= 20
    assert any(p["advisories"] and p["severity"] for p in scan["pending"]), scan["pending"]
    for entry in scan["pending"]:
        assert entry["before"] == baseline[entry["component"]]

    check = validate(run_module(name, {"state": "patched"}, tmp_path, check=True, diff=True))
    assert not check.get("failed"), check["msg"]
    assert check["changed"] is True and check["simulated"] is True
    assert _triples(check["changes"]) == sorted((p["component"], p["before"], p["after"]) for p in scan["pending"])
    assert "kernel-lab" in check["_stdout"]  # the diff lists the version changes
    assert installed_versions(host) == baseline, "check mode changed the host"

    patch = validate(run_module(name, {"state": "patched"}, tmp_path))
    assert not patch.get("failed"), patch["msg"]
    assert patch["changed"] is True and patch["simulated"] is False
    assert _triples(patch["changes"]) == _triples(check["changes"]), "check mode did not predict the patch exactly"
    now = installed_versions(host)
    for change in patch["changes"]:
        assert now.get(change["component"]) == change["after"]
    assert patch["reboot_required"] is True  # kernel-lab asks for a reboot
    assert [c["component"] for c in patch["changes"] if c["reboot_required"]] == ["kernel-lab"]
    expected_strategy = "transaction" if host["manager"] == "dnf" else "packages"
    assert patch["rollback"]["strategy"] == expected_strategy
    if expected_strategy == "transaction":
        assert isinstance(patch["rollback"]["data"]["transaction"], int)

    again = validate(run_module(name, {"state": "patched"}, tmp_path))
    assert not again.get("failed"), again["msg"]
    assert again["changed"] is False and again["changes"] == []

    check_again = validate(run_module(name, {"state": "patched"}, tmp_path, check=True))
    assert check_again["changed"] is False and check_again["changes"] == []

    back = validate(run_module(name, {"state": "rolled_back", "rollback": patch["rollback"]}, tmp_path))
    assert not back.get("failed"), back["msg"]
    assert back["changed"] is True
    assert installed_versions(host) == baseline

    back_again = validate(run_module(name, {"state": "rolled_back", "rollback": patch["rollback"]}, tmp_path))
    assert back_again["changed"] is False


def test_failing_maintainer_script_reports_and_rolls_back(host, tmp_path):
    name = host["name"]
    lab("reset", name)
    baseline = installed_versions(host)
    lab("fault", "fail-script", name, "lab-web")
    try:
        result = validate(run_module(name, {"state": "patched", "names": ["lab-web", "lab-worker"]}, tmp_path))
    finally:
        lab("fault", "clear", "fail-script", name, "lab-web")
    assert result.get("failed") is True
    assert result["failed_packages"] == ["lab-web"]
    assert "lab-web" in result["msg"] and "lab-worker" in result["msg"]
    changed = {c["component"]: c for c in result["changes"]}
    assert changed["lab-worker"]["after"] == installed_versions(host)["lab-worker"] != baseline["lab-worker"]
    assert result["rollback"]["data"]["packages"]["lab-worker"] == baseline["lab-worker"]

    back = validate(run_module(name, {"state": "rolled_back", "rollback": result["rollback"]}, tmp_path))
    assert not back.get("failed"), back["msg"]
    assert installed_versions(host) == baseline


def test_held_lock_fails_naming_the_holder(host, tmp_path):
    name = host["name"]
    baseline = installed_versions(host)
    with fault("lock", name) as message:
        result = validate(run_module(name, {"state": "patched", "lock_timeout": 2}, tmp_path))
    pid = holder_pid(message)
    assert result.get("failed") is True
    assert f"pid {pid}" in result["msg"] and "python3" in result["msg"], result["msg"]
    assert installed_versions(host) == baseline


def test_broken_repository_changes_nothing(host, tmp_path):
    name = host["name"]
    baseline = installed_versions(host)
    with fault("break-repo", name):
        result = run_module(name, {"state": "patched"}, tmp_path)
    assert result.get("failed") is True
    assert "nothing was changed" in result["msg"] or "repository" in result["msg"], result["msg"]
    assert installed_versions(host) == baseline


def test_manifest_installs_exact_versions_and_missing_versions_are_named(host, tmp_path):
    name = host["name"]
    baseline = installed_versions(host)
    result = validate(run_module(name, {"state": "patched", "manifest": {"lab-agent": "1.1-1"}}, tmp_path))
    assert not result.get("failed"), result["msg"]
    assert installed_versions(host)["lab-agent"] == "1.1-1"
    assert ("lab-agent", baseline["lab-agent"], "1.1-1") in _triples(result["changes"])

    gone = run_module(
        name,
        {
            "state": "rolled_back",
            "rollback": {
                "strategy": "packages",
                "data": {"manager": host["manager"], "packages": {"lab-agent": "0.9-1"}},
            },
        },
        tmp_path,
    )
    assert gone.get("failed") is True and "lab-agent 0.9-1" in gone["msg"], gone["msg"]
    assert installed_versions(host)["lab-agent"] == "1.1-1"

    back = validate(run_module(name, {"state": "rolled_back", "rollback": result["rollback"]}, tmp_path))
    assert not back.get("failed"), back["msg"]
    assert installed_versions(host) == baseline


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"state": "patched", "manager": "pacman"}, "manager"),
        ({"state": "patched", "names": ["lab-web; touch /tmp/everylayer-pwned"]}, "not a package name or glob"),
        ({"state": "patched", "names": ["--force-yes"]}, "not a package name or glob"),
        ({"state": "patched", "manifest": {"lab-agent": ""}}, "manifest"),
        ({"state": "patched", "manifest": {"lab-agent": "1.1-1"}, "security_only": True}, "manifest"),
    ],
)
def test_bad_input_is_refused(tmp_path, args, needle):
    # Input checks do not depend on the backend: run once, on an apt host (nothing is changed).
    host = host_of("apt", HOSTS["apt"])
    baseline = installed_versions(host)
    result = run_module(host["name"], args, tmp_path)
    assert result.get("failed") is True and needle in result["msg"], result["msg"]
    assert not Path(host["root"], "tmp/everylayer-pwned").exists()
    assert installed_versions(host) == baseline


def test_apt_scan_without_changelogs(tmp_path):
    """apt_changelogs=false: the same pending list, no CVE ids, security still known from the suite."""
    h = host_of("apt", HOSTS["apt"])
    lab("reset", h["name"])
    full = validate(run_module(h["name"], {"state": "scanned"}, tmp_path))
    quick = validate(run_module(h["name"], {"state": "scanned", "apt_changelogs": False}, tmp_path))
    assert not quick.get("failed"), quick["msg"]
    assert _triples(quick["pending"]) == _triples(full["pending"])
    assert all(p["advisories"] == [] and p["severity"] is None for p in quick["pending"])
    by_name = {p["component"]: p for p in full["pending"]}
    for entry in quick["pending"]:
        from_suite = "security" in (entry["details"].get("source") or "").lower()
        assert bool(entry["details"].get("security")) == from_suite, entry
        assert from_suite <= bool(by_name[entry["component"]]["details"].get("security"))
    refused = run_module(h["name"], {"state": "scanned", "apt_changelogs": False, "severity": "high"}, tmp_path)
    assert refused.get("failed") and "apt_changelogs=false" in refused["msg"]
