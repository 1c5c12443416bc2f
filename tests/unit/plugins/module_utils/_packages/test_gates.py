"""precheck/postcheck of state=patched over the fake backend: order, failures, the change record they keep."""

from __future__ import annotations

import os

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._health import checks
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError
from ansible_collections.everylayer.patch.plugins.module_utils._packages.gates import check_options
from ansible_collections.everylayer.patch.plugins.module_utils._packages.runner import Runner, failure_result
from helpers.change_record import validate
from packages_fake_backend import FakeBackend
from test_runner import ADVISORIES, AVAILABLE, BASE, params

DPKG_STATUS = "/var/lib/dpkg/status"


class Host:
    """The fake backend plus the commands the checks run, in one call log (to see what ran before what)."""

    def __init__(self, **kw):
        self.backend = FakeBackend(BASE, AVAILABLE, ADVISORIES, reboot_names=("kernel-lab",), **kw)
        self.reported = {}  # package -> version dpkg-query reports instead of the real one

    def run(self, argv):
        self.backend.calls.append(("run", argv[0]))
        if argv[0] == "dpkg-query":
            names = argv[argv.index("--") + 1 :]
            state = dict(self.backend.state, **self.reported)
            out = "".join(f"{n}\tinstalled\t{state[n]}\n" for n in names if state.get(n))
            return 0, out, ""
        if argv[0] in ("true", "false"):
            return (0 if argv[0] == "true" else 1), "", "" if argv[0] == "true" else "it is false"
        raise AssertionError(f"unexpected command {argv}")

    def runner(self, check_mode=False, **overrides):
        p = params(**overrides)
        check_options(p)
        return Runner(self.backend, p, check_mode=check_mode, run_command=self.run)

    def commands(self):
        return [c[1] for c in self.backend.calls if c[0] == "run"]


@pytest.fixture(autouse=True)
def dpkg_database(monkeypatch):
    """installed_versions reads the dpkg database (through the fake dpkg-query) whatever this machine has."""
    real_exists = os.path.exists
    monkeypatch.setattr(checks.os.path, "exists", lambda p: p == DPKG_STATUS or real_exists(p))
    monkeypatch.setattr(checks, "_has_rpm_db", lambda: False)


def command_check(argv0, name="app"):
    return {"name": name, "type": "command", "command": [argv0]}


def test_failing_precheck_runs_first_and_changes_nothing(tmp_path):
    host = Host()
    pre = {"disk": [{"path": str(tmp_path), "min_free_mb": 10**9}], "package_manager": False}
    with pytest.raises(PackagesError) as info:
        host.runner(precheck=pre, postcheck={}).patched()
    msg = info.value.msg
    assert msg.startswith("precheck failed:") and f"disk:{tmp_path}" in msg and "need 1000000000 MiB" in msg
    assert "nothing was changed" in msg
    assert host.backend.calls == []  # no refresh, no apply (and no postcheck)
    assert host.backend.state == BASE
    result = validate(failure_result(info.value))
    assert result["changes"] == [] and result["rollback"] == {"strategy": "none", "data": {}}
    assert result["precheck"]["healthy"] is False
    assert result["precheck"]["failed_checks"] == [f"disk:{tmp_path}"]
    assert "postcheck" not in result


def test_every_failed_precheck_is_named(tmp_path):
    host = Host()
    pre = {"disk": [{"path": str(tmp_path / "gone"), "min_free_mb": 1}], "checks": [command_check("false")]}
    pre["package_manager"] = False
    with pytest.raises(PackagesError) as info:
        host.runner(precheck=pre).patched()
    assert f"disk:{tmp_path / 'gone'}: cannot stat" in info.value.msg
    assert "app: rc=1: it is false" in info.value.msg
    assert info.value.result["precheck"]["failed_checks"] == [f"disk:{tmp_path / 'gone'}", "app"]
    assert host.backend.calls == [("run", "false")]  # the checks ran, nothing else


def test_healthy_run_checks_before_and_verifies_after(tmp_path):
    host = Host()
    pre = {
        "disk": [{"path": str(tmp_path), "min_free_mb": 1}],
        "package_manager": False,
        "checks": [command_check("true")],
    }
    result = validate(host.runner(precheck=pre, postcheck={"checks": [command_check("true", "after")]}).patched())
    assert host.backend.calls[0] == ("run", "true") and host.backend.calls[1] == "refresh"  # precheck first
    assert result["precheck"] == {
        "healthy": True,
        "checks": result["precheck"]["checks"],
        "failed_checks": [],
    }
    assert [c["name"] for c in result["precheck"]["checks"]] == ["reachable", f"disk:{tmp_path}", "app"]
    post = result["postcheck"]
    assert post["healthy"] is True and post["failed_checks"] == []
    versions = next(c for c in post["checks"] if c["name"] == "versions")
    assert versions["ok"] and versions["installed"] == {c["component"]: c["after"] for c in result["changes"]}
    assert sorted(versions["installed"]) == sorted(BASE)
    assert host.commands() == ["true", "dpkg-query", "true"]  # one database query for every changed package


def test_failing_postcheck_keeps_the_change_record_and_rolls_back():
    host = Host()
    with pytest.raises(PackagesError) as info:
        host.runner(postcheck={"checks": [command_check("false", "smoke")]}).patched()
    msg = info.value.msg
    assert msg.startswith("postcheck failed: smoke: rc=1")
    assert msg.endswith("the rollback block restores the old set") and "updated 4 packages" in msg
    result = validate(failure_result(info.value))
    assert result["changed"] is True and "msg" not in result
    assert sorted(c["component"] for c in result["changes"]) == sorted(BASE)
    assert result["rollback"]["data"]["packages"] == BASE
    assert result["reboot_required"] is True and result["reboot_packages"] == ["kernel-lab"]
    assert result["postcheck"]["healthy"] is False and result["postcheck"]["failed_checks"] == ["smoke"]
    assert host.backend.state != BASE  # the postcheck does not undo anything by itself
    back = Runner(host.backend, params(state="rolled_back", rollback=result["rollback"])).rolled_back()
    assert back["changed"] is True and host.backend.state == BASE


def test_version_mismatch_fails_the_postcheck():
    host = Host()
    host.reported = {"lab-web": "1.1-1"}  # the database disagrees with what the transaction reported
    with pytest.raises(PackagesError) as info:
        host.runner(postcheck={}).patched()
    assert info.value.msg.startswith("postcheck failed: versions: lab-web is 1.1-1, expected 1.2-1")
    assert info.value.result["postcheck"]["failed_checks"] == ["versions"]


def test_check_mode_skips_version_verification_but_runs_checks():
    host = Host()
    result = validate(host.runner(check_mode=True, postcheck={"checks": [command_check("true")]}).patched())
    assert result["simulated"] is True and result["changed"] is True and host.backend.state == BASE
    assert [c["name"] for c in result["postcheck"]["checks"]] == ["reachable", "app"]
    assert host.commands() == ["true"]  # no dpkg-query
    with pytest.raises(PackagesError) as info:
        Host().runner(check_mode=True, postcheck={"checks": [command_check("false")]}).patched()
    assert info.value.msg.startswith("postcheck failed: app: rc=1")
    assert info.value.msg.endswith("nothing was changed")


def test_postcheck_runs_when_there_is_nothing_to_patch():
    host = Host()
    result = validate(host.runner(names=["nothing-*"], postcheck={"checks": [command_check("true")]}).patched())
    assert result["changes"] == [] and result["msg"].startswith("nothing to patch")
    assert [c["name"] for c in result["postcheck"]["checks"]] == ["reachable", "app"]
    assert host.commands() == ["true"]


def test_failed_transaction_keeps_its_failure_without_postcheck():
    host = Host(fail=("lab-web",))
    with pytest.raises(PackagesError) as info:
        host.runner(postcheck={"checks": [command_check("false")]}).patched()
    assert info.value.msg.startswith("patch failed: lab-web")
    assert "postcheck" not in info.value.result and host.commands() == []
    assert info.value.result["failed_packages"] == ["lab-web"]


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"precheck": {"disk": [{"path": "/"}]}}, "invalid precheck: precheck.disk[0].min_free_mb: required, missing"),
        ({"precheck": {"disk": [{"path": "/", "min_free_mb": "lots"}]}}, "precheck.disk[0].min_free_mb: argument"),
        ({"precheck": {"expect_versions": {"a": "1"}}}, "precheck.expect_versions: unknown option"),
        ({"postcheck": {"checks": [{"name": "c", "type": "command"}]}}, "postcheck.checks[0]: type is command but"),
        ({"postcheck": {"checks": [{"name": "c", "type": "dns"}]}}, "postcheck.checks[0].type: value of type must"),
        ({"postcheck": {"verify_versions": "maybe"}}, "postcheck.verify_versions: argument"),
        ({"postcheck": ["checks"]}, "invalid postcheck: postcheck: expected a dictionary, got list"),
        ({"state": "scanned", "precheck": {}}, "precheck is only valid with state=patched (state is scanned)"),
        (
            {"state": "rolled_back", "postcheck": {}},
            "postcheck is only valid with state=patched (state is rolled_back)",
        ),
    ],
)
def test_bad_options_name_the_field(overrides, needle):
    with pytest.raises(PackagesError) as info:
        check_options(params(**overrides))
    assert needle in info.value.msg


def test_defaults_are_applied():
    p = params(precheck={}, postcheck={"checks": [{"name": "p", "type": "port", "port": "22"}]})
    check_options(p)
    assert p["precheck"] == {"disk": [], "package_manager": True, "reboot_pending": False, "checks": []}
    check = p["postcheck"]["checks"][0]
    assert p["postcheck"]["verify_versions"] is True
    assert (check["port"], check["host"], check["timeout"]) == (22, "127.0.0.1", 10)
