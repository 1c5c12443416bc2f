"""everylayer.patch.packages with precheck/postcheck in the same call, on one apt and one dnf lab host.

Through the real ansible-playbook: a failing precheck changes nothing (and runs before the lock wait and the cache
refresh); a failing postcheck fails the task with a complete change record whose rollback restores the baseline;
a healthy run verifies every changed package's version. Versions are read inside the host, not from the module.
"""

from __future__ import annotations

import pytest
from helpers.change_record import validate
from packages_lab_driver import fault, holder_pid, installed_versions, lab, reset_host, run_module

pytestmark = [pytest.mark.lab, pytest.mark.slow]

HOSTS = {"apt": "lab-apt-02", "dnf": "lab-dnf-02"}
UNHEALTHY = {"name": "smoke", "type": "command", "command": ["/bin/false"]}


@pytest.fixture(scope="module", params=sorted(HOSTS))
def host(request):
    yield from reset_host(request.param, HOSTS[request.param])


def _changed_since(baseline, now):
    return sorted(n for n in set(baseline) | set(now) if baseline.get(n) != now.get(n))


def test_failing_precheck_changes_nothing(host, tmp_path):
    name = host["name"]
    baseline = installed_versions(host)
    args = {"state": "patched", "precheck": {"disk": [{"path": "/", "min_free_mb": 10**9}]}, "postcheck": {}}
    result = validate(run_module(name, args, tmp_path))
    assert result.get("failed") is True
    msg = result["msg"]
    assert msg.startswith("precheck failed: disk:/: ") and "need 1000000000 MiB" in msg, msg
    assert msg.endswith("(nothing was changed)"), msg
    assert result["changed"] is False and result["changes"] == [] and result["rollback"]["strategy"] == "none"
    assert result["precheck"]["healthy"] is False and result["precheck"]["failed_checks"] == ["disk:/"]
    assert "postcheck" not in result
    assert installed_versions(host) == baseline


def test_precheck_runs_before_the_lock_wait_and_the_refresh(host, tmp_path):
    name = host["name"]
    baseline = installed_versions(host)
    # A held lock: the precheck's package_manager check names the holder at once instead of the module waiting
    # lock_timeout for it (after which the message would be the lock wait's own).
    with fault("lock", name) as message:
        locked = run_module(name, {"state": "patched", "lock_timeout": 30, "precheck": {}}, tmp_path)
    pid = holder_pid(message)
    assert locked.get("failed") is True
    assert locked["msg"].startswith("precheck failed: package_manager: ") and f"pid {pid}" in locked["msg"]
    assert locked["precheck"]["failed_checks"] == ["package_manager"]
    # A broken repository and a failing precheck: the precheck's failure, not the refresh's.
    with fault("break-repo", name):
        broken = run_module(name, {"state": "patched", "precheck": {"checks": [UNHEALTHY]}}, tmp_path)
    assert broken.get("failed") is True and broken["msg"].startswith("precheck failed: smoke: rc=1"), broken["msg"]
    assert installed_versions(host) == baseline


def test_failing_postcheck_keeps_the_change_record_and_rollback_restores(host, tmp_path):
    name = host["name"]
    baseline = installed_versions(host)
    args = {"state": "patched", "precheck": {}, "postcheck": {"checks": [UNHEALTHY]}}
    result = validate(run_module(name, args, tmp_path))
    assert result.get("failed") is True
    msg = result["msg"]
    assert msg.startswith("postcheck failed: smoke: rc=1"), msg
    assert msg.endswith("the rollback block restores the old set"), msg
    assert result["changed"] is True and result["precheck"]["healthy"] is True
    assert result["postcheck"]["healthy"] is False and result["postcheck"]["failed_checks"] == ["smoke"]
    now = installed_versions(host)
    changed = _changed_since(baseline, now)
    assert len(changed) >= 20, changed
    assert sorted(c["component"] for c in result["changes"]) == changed  # complete: every package that changed
    for change in result["changes"]:
        assert (change["before"], change["after"]) == (baseline.get(change["component"]), now.get(change["component"]))
    assert result["rollback"]["data"]["packages"] == {n: baseline.get(n) for n in changed}
    assert result["reboot_required"] is True  # kernel-lab is among the changes
    versions = next(c for c in result["postcheck"]["checks"] if c["name"] == "versions")
    assert versions["ok"] is True

    back = validate(run_module(name, {"state": "rolled_back", "rollback": result["rollback"]}, tmp_path))
    assert not back.get("failed"), back["msg"]
    assert back["changed"] is True
    assert installed_versions(host) == baseline


def test_healthy_run_verifies_the_changed_versions(host, tmp_path):
    name = host["name"]
    lab("reset", name)  # the earlier patch of kernel-lab left a pending reboot, which this precheck refuses
    baseline = installed_versions(host)
    args = {
        "state": "patched",
        "names": ["lab-agent", "lab-web", "lab-worker"],
        "precheck": {"disk": [{"path": "/", "min_free_mb": 1}], "reboot_pending": True},
        "postcheck": {
            "checks": [
                {"name": "sshd", "type": "port", "port": host["port"]},
                {"name": "true", "type": "command", "command": ["/bin/true"]},
            ]
        },
    }
    check = validate(run_module(name, args, tmp_path, check=True))
    assert not check.get("failed"), check["msg"]
    assert check["simulated"] is True and check["changed"] is True
    assert [c["name"] for c in check["postcheck"]["checks"]] == ["reachable", "sshd", "true"]  # no versions check
    assert installed_versions(host) == baseline

    result = validate(run_module(name, args, tmp_path))
    assert not result.get("failed"), result["msg"]
    assert result["precheck"]["healthy"] is True and result["precheck"]["failed_checks"] == []
    assert [c["name"] for c in result["precheck"]["checks"]] == [
        "reachable",
        "disk:/",
        "package_manager",
        "reboot_pending",
    ]
    post = result["postcheck"]
    assert post["healthy"] is True and post["failed_checks"] == []
    assert [c["name"] for c in post["checks"]] == ["reachable", "versions", "sshd", "true"]
    versions = post["checks"][1]
    now = installed_versions(host)
    changed = sorted(c["component"] for c in result["changes"])
    assert {"lab-agent", "lab-web", "lab-worker"} <= set(changed)
    assert versions["installed"] == {n: now.get(n) for n in changed}
    assert versions["installed"] == {c["component"]: c["after"] for c in result["changes"]}

    again = validate(run_module(name, args, tmp_path))  # nothing left to patch: the postcheck's checks only
    assert not again.get("failed"), again["msg"]
    assert again["changes"] == [] and [c["name"] for c in again["postcheck"]["checks"]] == ["reachable", "sshd", "true"]

    back = validate(run_module(name, {"state": "rolled_back", "rollback": result["rollback"]}, tmp_path))
    assert not back.get("failed"), back["msg"]
    assert installed_versions(host) == baseline
