"""health_check's main(): the same argument spec, result and failure as before its specs moved to module_utils."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.everylayer.patch.plugins.module_utils._health import spec
from ansible_collections.everylayer.patch.plugins.modules import health_check


def run_main(args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        health_check.main()
    result = json.loads(capsys.readouterr().out)
    result["_rc"] = exit_info.value.code
    return result


def test_argument_spec_uses_the_shared_check_specs():
    assert health_check.ARGUMENT_SPEC["checks"]["options"] is spec.CHECK_SPEC
    assert health_check.ARGUMENT_SPEC["disk"]["options"] is spec.DISK_SPEC
    assert spec.PRECHECK_SPEC["checks"]["options"] is spec.CHECK_SPEC


def test_healthy_result(capsys, tmp_path):
    args = {
        "disk": [{"path": str(tmp_path), "min_free_mb": 1}],
        "package_manager": False,
        "checks": [{"name": "t", "type": "command", "command": ["true"]}],
    }
    result = run_main(args, capsys)
    assert result["_rc"] == 0 and result["changed"] is False and result["healthy"] is True
    assert [c["name"] for c in result["checks"]] == ["reachable", f"disk:{tmp_path}", "t"]
    assert result["failed_checks"] == []


def test_unhealthy_fails_unless_told_not_to(capsys, tmp_path):
    args = {"disk": [{"path": str(tmp_path), "min_free_mb": 10**9}], "package_manager": False}
    failed = run_main(args, capsys)
    assert failed["_rc"] == 1 and failed["msg"].startswith(f"unhealthy: disk:{tmp_path}: ")
    assert failed["healthy"] is False and failed["failed_checks"] == [f"disk:{tmp_path}"]
    reported = run_main(dict(args, fail_on_unhealthy=False), capsys)
    assert reported["_rc"] == 0 and reported["healthy"] is False


def test_bad_check_is_refused_by_the_argument_spec(capsys):
    result = run_main({"checks": [{"name": "p", "type": "port"}]}, capsys)
    assert result["_rc"] == 1 and "type is port but all of the following are missing: port" in result["msg"]
