"""The shared check specs: validate_options names each bad field, applies defaults and refuses unknown keys."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._health import checks
from ansible_collections.everylayer.patch.plugins.module_utils._health.spec import (
    POSTCHECK_SPEC,
    PRECHECK_SPEC,
    OptionsError,
    validate_options,
)


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ({"disk": [{"path": "/"}]}, ["pre.disk[0].min_free_mb: required, missing"]),
        (
            {"disk": [{"path": "/", "min_free_mb": 1}, {"min_free_mb": 1, "size": 3}]},
            ["pre.disk[1].size: unknown option (supported: min_free_mb, path)", "pre.disk[1].path: required, missing"],
        ),
        (
            {"checks": [{"name": "u", "type": "url"}]},
            ["pre.checks[0]: type is url but all of the following are missing: url"],
        ),
        ({"disk": "/var"}, ["pre.disk: Elements value for option 'disk' is of type str"]),
        ({"reboot_pending": "later"}, ["pre.reboot_pending: argument 'reboot_pending' is of type str"]),
        ("disk", ["pre: expected a dictionary, got str"]),
    ],
)
def test_errors_name_the_field(value, errors):
    with pytest.raises(OptionsError) as info:
        validate_options(value, PRECHECK_SPEC, "pre")
    assert len(info.value.errors) == len(errors)
    for got, want in zip(info.value.errors, errors, strict=True):
        assert got.startswith(want), got


def test_defaults_and_conversions():
    got = validate_options(
        {"checks": [{"name": "s", "type": "service", "service": "sshd", "timeout": "3"}], "disk": None},
        PRECHECK_SPEC,
        "pre",
    )
    assert got["disk"] == [] and got["package_manager"] is True and got["reboot_pending"] is False
    assert got["checks"][0]["timeout"] == 3 and got["checks"][0]["status"] == [200]
    assert validate_options({}, POSTCHECK_SPEC, "post") == {"verify_versions": True, "checks": []}


def test_report_has_health_checks_shape():
    ran = [checks.result("a", "command", True, "rc=0"), checks.result("b", "port", False, "refused")]
    assert checks.report(ran) == {"healthy": False, "checks": ran, "failed_checks": ["b"]}
    assert checks.failure_detail(ran) == "b: refused"
    assert checks.report([])["healthy"] is True
