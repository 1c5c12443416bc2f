"""The packages module's main(): argument spec, check mode wiring and the change record in its result."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.everylayer.patch.plugins.module_utils._packages import runner
from ansible_collections.everylayer.patch.plugins.modules import packages
from helpers.change_record import validate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils" / "_packages"))
from packages_fake_backend import FakeBackend  # noqa: E402

BASE = {"lab-web": "1.0-1", "lab-ssl": "1.0-1"}
AVAILABLE = {"lab-web": ["1.0-1", "1.2-1"], "lab-ssl": ["1.0-1", "1.1-1"]}


@pytest.fixture
def fake(monkeypatch):
    backend = FakeBackend(BASE, AVAILABLE, {"lab-web": (["CVE-2026-21169"], "Important", True)})
    monkeypatch.setattr(runner.detect, "choose", lambda requested="auto": "apt")
    monkeypatch.setattr(runner, "make_backend", lambda module, manager, timeout: backend)
    return backend


def run_main(args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        packages.main()
    result = json.loads(capsys.readouterr().out)
    result["_rc"] = exit_info.value.code
    return result


def test_scan(fake, capsys):
    result = validate(run_main({"state": "scanned"}, capsys))
    assert result["_rc"] == 0 and result["changed"] is False
    assert [p["component"] for p in result["pending"]] == ["lab-ssl", "lab-web"]
    assert "refresh" in fake.calls


def test_patch_in_check_mode_with_diff(fake, capsys):
    result = validate(run_main({"state": "patched", "_ansible_check_mode": True, "_ansible_diff": True}, capsys))
    assert result["changed"] is True and result["simulated"] is True
    assert result["diff"]["after"] == "lab-ssl 1.1-1\nlab-web 1.2-1\n"
    assert fake.state == BASE


def test_patch_then_rollback(fake, capsys):
    patch = validate(run_main({"state": "patched", "security_only": True, "update_cache": False}, capsys))
    assert [c["component"] for c in patch["changes"]] == ["lab-web"]
    assert patch["changes"][0]["severity"] == "high"
    assert "refresh" not in fake.calls
    back = validate(run_main({"state": "rolled_back", "rollback": patch["rollback"]}, capsys))
    assert back["changed"] is True and fake.state == BASE


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"state": "rolled_back"}, "state is rolled_back but all of the following are missing: rollback"),
        ({"state": "patched", "manager": "pacman"}, "value of manager must be one of"),
        ({"state": "patched", "severity": "urgent"}, "value of severity must be one of"),
        ({"state": "patched", "names": ["lab-web;id"]}, "not a package name or glob"),
        ({"state": "patched", "manifest": {"lab-web": "1.2-1"}, "names": ["x"]}, "do not combine it"),
        ({"state": "patched", "manifest": {"lab-web": ""}}, "must be a non-empty string"),
        ({"state": "patched", "apt_changelogs": False, "severity": "high"}, "apt_changelogs=false leaves apt updates"),
        ({"state": "scanned", "apt_changelogs": False, "advisories": ["CVE-2026-21169"]}, "filters cannot select"),
        ({"state": "patched", "exclude": ["kernel*\n"]}, "exclude: 'kernel*\\n' is not a package name or glob"),
        ({"state": "patched", "lock_timeout": -5}, "lock_timeout: -5 is out of range"),
        ({"state": "patched", "lock_timeout": 10**13}, "lock_timeout: 10000000000000 is out of range"),
        ({"state": "scanned", "changelog_timeout": 0}, "changelog_timeout: 0 is out of range"),
        ({"state": "patched", "unknown_severity": "maybe"}, "value of unknown_severity must be one of"),
    ],
)
def test_bad_input_fails_with_a_clear_message(fake, capsys, args, needle):
    result = run_main(args, capsys)
    assert result["_rc"] == 1 and result["failed"] is True
    assert needle in result["msg"]
    assert fake.state == BASE


def test_failure_keeps_the_partial_change_record(fake, capsys):
    fake.fail = {"lab-web"}
    result = run_main({"state": "patched"}, capsys)
    assert result["failed"] is True and result["failed_packages"] == ["lab-web"]
    validate(result)
    assert [c["component"] for c in result["changes"]] == ["lab-ssl"]
    assert result["rollback"]["data"]["packages"] == {"lab-ssl": "1.0-1"}


def test_precheck_and_postcheck_in_one_call(fake, capsys, tmp_path):
    args = {
        "state": "patched",
        "precheck": {"disk": [{"path": str(tmp_path), "min_free_mb": 1}], "package_manager": False},
        "postcheck": {
            "verify_versions": False,
            "checks": [{"name": "true runs", "type": "command", "command": ["true"]}],
        },
    }
    result = validate(run_main(args, capsys))
    assert result["_rc"] == 0 and result["changed"] is True
    assert result["precheck"]["healthy"] is True and result["precheck"]["failed_checks"] == []
    assert [c["name"] for c in result["postcheck"]["checks"]] == ["reachable", "true runs"]


def test_failing_precheck_fails_the_module_with_an_empty_record(fake, capsys, tmp_path):
    args = {"state": "patched", "precheck": {"disk": [{"path": str(tmp_path), "min_free_mb": 10**9}]}}
    result = validate(run_main(args, capsys))
    assert result["_rc"] == 1 and result["failed"] is True and result["msg"].startswith("precheck failed:")
    assert result["changes"] == [] and result["precheck"]["healthy"] is False
    assert fake.calls == [] and fake.state == BASE


def test_failing_postcheck_fails_the_module_with_the_full_record(fake, capsys):
    check = {"name": "smoke", "type": "command", "command": ["false"]}
    result = validate(
        run_main({"state": "patched", "postcheck": {"verify_versions": False, "checks": [check]}}, capsys)
    )
    assert result["_rc"] == 1 and result["failed"] is True and result["changed"] is True
    assert result["msg"].startswith("postcheck failed: smoke: rc=1")
    assert result["rollback"]["data"]["packages"] == BASE
    assert result["postcheck"]["failed_checks"] == ["smoke"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"state": "patched", "precheck": {"disk": [{"path": "/"}]}}, "precheck.disk[0].min_free_mb"),
        ({"state": "patched", "postcheck": {"checks": [{"name": "x"}]}}, "postcheck.checks[0].type: required"),
        ({"state": "patched", "precheck": "disk"}, "dictionary requested"),
        ({"state": "scanned", "precheck": {"package_manager": False}}, "precheck is only valid with state=patched"),
        ({"state": "scanned", "postcheck": {}}, "postcheck is only valid with state=patched"),
    ],
)
def test_bad_check_options_name_the_option(fake, capsys, args, needle):
    result = run_main(args, capsys)
    assert result["_rc"] == 1 and result["failed"] is True
    assert needle in result["msg"], result["msg"]
    assert fake.calls == [] and fake.state == BASE


def test_backend_warnings_reach_the_result(fake, capsys, monkeypatch):
    # Recorded at AnsibleModule.warn: where ansible-core puts them depends on whether controller code was imported
    # in this test process (then they go to Display instead of the result).
    seen = []
    monkeypatch.setattr(packages.AnsibleModule, "warn", lambda self, warning: seen.append(warning))
    fake.warnings = ["changelog of libssl3 (source openssl) not read: Changelog unavailable; advisories unknown"]
    validate(run_main({"state": "scanned"}, capsys))
    assert seen == fake.warnings


def test_apt_changelogs_false_with_a_chosen_meaning_of_unknown_runs(fake, capsys):
    result = validate(
        run_main(
            {
                "state": "patched",
                "apt_changelogs": False,
                "severity": "high",
                "unknown_severity": "exclude",
                "_ansible_check_mode": True,
            },
            capsys,
        )
    )
    assert result["_rc"] == 0 and result["decided_on_unknown"] == 0
