"""Input checks of the packages module: names, advisories, manifests and rollback blocks."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages import common
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError


@pytest.mark.parametrize("pattern", ["lab-*", "kernel", "python3.11", "libstdc++6", "lib?[ab]*", "pkg:amd64"])
def test_patterns_accepted(pattern):
    common.check_patterns([pattern], "names")


@pytest.mark.parametrize(
    "pattern",
    ["lab; rm -rf /", "$(id)", "`id`", "a|b", "a&&b", "-o", "--allow-unauthenticated", "a b", "a\nb", "", 5, "a>b"],
)
def test_patterns_refused(pattern):
    with pytest.raises(PackagesError, match="not a package name or glob"):
        common.check_patterns([pattern], "names")


def test_advisories():
    common.check_advisories(["CVE-2026-0001", "DSA-5999-1", "ELSA-2026:0101", "RHSA-2024:1234"])
    with pytest.raises(PackagesError, match="not an advisory id"):
        common.check_advisories(["CVE; reboot"])


def test_manifest_ok_and_normalised():
    assert common.check_manifest({"a": "1.0-1", "b": 2}) == {"a": "1.0-1", "b": "2"}
    assert common.check_manifest(None) is None


@pytest.mark.parametrize(
    ("manifest", "needle"),
    [
        (["a=1"], "expected a mapping"),
        ({"a*": "1"}, "exact names only"),
        ({"a": ""}, "non-empty string"),
        ({"a": None}, "non-empty string"),
        ({"a": True}, "non-empty string"),
        ({"a": "1; reboot"}, "not a package version"),
        ({"-a": "1"}, "not a package name"),
    ],
)
def test_manifest_refused(manifest, needle):
    with pytest.raises(PackagesError, match=needle):
        common.check_manifest(manifest)


def test_rollback_blocks():
    strategy, data = common.check_rollback(
        {"strategy": "transaction", "data": {"manager": "dnf", "packages": {"a": "1-1", "b": None}, "transaction": 3}}
    )
    assert strategy == "transaction" and data["transaction"] == 3
    assert common.check_rollback({"strategy": "none", "data": {}}) == ("none", {"packages": {}})


@pytest.mark.parametrize(
    ("block", "needle"),
    [
        ("x", "expected the rollback block"),
        ({"strategy": "image", "data": {}}, "not a packages rollback block"),
        ({"strategy": "packages", "data": {"packages": ["a"]}}, "expected a mapping"),
        ({"strategy": "packages", "data": {"packages": {"a;b": "1"}}}, "not a package name"),
        ({"strategy": "packages", "data": {"packages": {"a": 1}}}, "not a package version"),
        ({"strategy": "transaction", "data": {"packages": {}, "transaction": "7"}}, "dnf history id"),
    ],
)
def test_rollback_blocks_refused(block, needle):
    with pytest.raises(PackagesError, match=needle):
        common.check_rollback(block)


def test_manifest_targets_skip_installed_and_excluded():
    targets = common.manifest_targets({"a": "2", "b": "1", "k": "9"}, {"a": "1", "b": "1"}, set(), exclude=["k*"])
    assert targets == {"a": "2"}


@pytest.mark.parametrize("pattern", ["kernel*\n", "kernel*\r", "lab-web\x00", "lab\t*", "lab-web\n"])
def test_patterns_with_a_trailing_newline_or_control_character_are_refused(pattern):
    """A YAML block scalar (`exclude: "kernel*\\n"`) must not pass and then exclude nothing (issue 19)."""
    with pytest.raises(PackagesError, match="not a package name or glob"):
        common.check_patterns([pattern], "exclude")


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (common.check_advisories, ["CVE-2026-0001\n"]),
        (common.check_manifest, {"lab-web\n": "1.0-1"}),
        (common.check_rollback, {"strategy": "packages", "data": {"packages": {"lab-web": "1.0-1\n"}}}),
    ],
)
def test_other_identifiers_are_full_matches(check, value):
    with pytest.raises(PackagesError):
        check(value)


def test_manifest_versions_are_stripped_not_matched_loosely():
    assert common.check_manifest({"lab-web": "1.0-1\n"}) == {"lab-web": "1.0-1"}


@pytest.mark.parametrize("value", [-5, -1, 10**13, 86401])
def test_lock_timeout_out_of_range_is_refused(value):
    with pytest.raises(PackagesError, match=r"lock_timeout: .* between 0 and 86400"):
        common.check_bounds({"lock_timeout": value})


def test_lock_timeout_in_range():
    common.check_bounds({"lock_timeout": 0})
    common.check_bounds({"lock_timeout": 3600})
