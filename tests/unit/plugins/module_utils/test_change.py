"""The change-record builder and its schema agree, and the builder rejects what the contract forbids."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils import _change
from helpers.change_record import problems, validate


def _result(**overrides):
    c = _change.change("lab-agent", "package", "1.0-1", "1.1-1", advisories=["CVE-2026-0001"], severity="Important")
    result = {"changed": True, "msg": "ok"}
    result.update(
        _change.record(
            "os",
            [c],
            [],
            False,
            _change.rollback("packages", {"manager": "apt", "packages": {"lab-agent": "1.0-1"}}),
        )
    )
    result.update(overrides)
    return result


def test_builder_output_validates():
    result = validate(_result())
    assert result["changes"][0]["severity"] == "high"
    assert result["simulated"] is False


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Critical", "critical"),
        ("important", "high"),
        ("Moderate", "medium"),
        ("low", "low"),
        ("None", None),
        ("unspecified", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_severity(word, expected):
    assert _change.normalize_severity(word) == expected


def test_highest_severity_and_rank():
    assert _change.highest_severity(["low", "Important", None, "moderate"]) == "high"
    assert _change.highest_severity([]) is None
    assert _change.severity_rank("critical") > _change.severity_rank("high") > _change.severity_rank(None)


def test_advisories_are_deduplicated_in_order():
    c = _change.change("x", "package", None, "2", advisories=["CVE-1", " CVE-2 ", "CVE-1", ""])
    assert c["advisories"] == ["CVE-1", "CVE-2"]
    assert c["before"] is None


def test_record_forces_reboot_required_from_changes():
    c = _change.change("kernel-lab", "package", "1", "2", reboot_required=True)
    rec = _change.record("os", [c], [], False, _change.rollback("none"))
    assert rec["reboot_required"] is True


def test_details_are_kept_and_allowed():
    c = _change.change("x", "package", "1", "2", details={"arch": "amd64"})
    rec = _change.record("os", [c], [c], False, _change.rollback("none"))
    validate(dict(rec, changed=True))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: _change.change("", "package", "1", "2"), "component"),
        (lambda: _change.change("x", "rpm", "1", "2"), "kind must be one of"),
        (lambda: _change.change("x", "package", "", "2"), "before must be"),
        (lambda: _change.rollback("magic"), "strategy must be one of"),
        (lambda: _change.record("storage", [], [], False, _change.rollback("none")), "layer must be one of"),
        (lambda: _change.record("os", [], [], False, {"data": {}}), "rollback must be a dict"),
    ],
)
def test_builder_rejects_bad_arguments(call, message):
    with pytest.raises(_change.ChangeRecordError, match=message):
        call()


def test_diff_lists_versions_sorted():
    changes = [
        _change.change("b", "package", "1", "2"),
        _change.change("a", "package", None, "5"),
        _change.change("c", "package", "3", None),
    ]
    d = _change.diff(changes)
    assert d["before"] == "b 1\nc 3\n"
    assert d["after"] == "a 5\nb 2\n"


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"layer": "storage"}, "layer"),
        ({"changes": [{"component": "x"}]}, "changes/0"),
        ({"rollback": {"strategy": "packages", "data": {"packages": {}}}}, "manager"),
        ({"reboot_required": "yes"}, "reboot_required"),
        ({"changed": False}, "changed is false"),
    ],
)
def test_validate_reports_contract_breaks(overrides, needle):
    found = problems(_result(**overrides))
    assert any(needle in line for line in found), found
    with pytest.raises(AssertionError):
        validate(_result(**overrides))


def test_validate_reboot_rule():
    result = _result()
    result["changes"][0]["reboot_required"] = True
    assert "reboot_required is false" in problems(result)[0]


def test_simulated_result_may_list_changes_without_changed():
    validate(_result(changed=False, simulated=True))
