"""The states over a fake backend: selection, check mode == patch, idempotence, partial failure, rollback."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError, check_manifest
from ansible_collections.everylayer.patch.plugins.module_utils._packages.runner import Runner, failure_result
from helpers.change_record import validate
from packages_fake_backend import FakeBackend

BASE = {"lab-web": "1.0-1", "lab-ssl": "1.0-1", "lab-docs": "1.0-1", "kernel-lab": "1.0-1"}
AVAILABLE = {
    "lab-web": ["1.0-1", "1.1-1", "1.2-1"],
    "lab-ssl": ["1.0-1", "1.2-1"],
    "lab-docs": ["1.0-1", "1.1-1"],
    "kernel-lab": ["1.0-1", "1.2-1"],
}
ADVISORIES = {
    "lab-web": (["ELSA-2026:0103", "CVE-2026-21081"], "critical", True),
    "lab-ssl": (["ELSA-2026:0109", "CVE-2026-21385"], "Important", True),
    "kernel-lab": (["ELSA-2026:0137"], "moderate", True),
}


def params(**overrides):
    base = {
        "state": "patched",
        "names": [],
        "exclude": [],
        "security_only": False,
        "advisories": [],
        "severity": None,
        "manifest": None,
        "rollback": None,
        "update_cache": True,
        "lock_timeout": 0,
    }
    base.update(overrides)
    return base


def backend(**kw):
    return FakeBackend(BASE, AVAILABLE, ADVISORIES, reboot_names=("kernel-lab",), **kw)


def components(entries):
    return sorted(e["component"] for e in entries)


def test_scan_lists_every_update_and_changes_nothing():
    b = backend()
    result = validate(Runner(b, params(state="scanned")).scanned())
    assert result["changed"] is False and result["changes"] == []
    assert components(result["pending"]) == ["kernel-lab", "lab-docs", "lab-ssl", "lab-web"]
    web = next(p for p in result["pending"] if p["component"] == "lab-web")
    assert (web["before"], web["after"], web["severity"]) == ("1.0-1", "1.2-1", "critical")
    assert result["msg"] == "4 pending updates (3 security)"
    assert b.state == BASE and result["rollback"] == {"strategy": "none", "data": {}}


def test_check_mode_predicts_exactly_the_patch():
    simulated = validate(Runner(backend(), params(), check_mode=True, diff=True).patched())
    real_backend = backend()
    real = validate(Runner(real_backend, params()).patched())
    assert simulated["simulated"] is True and real["simulated"] is False
    triples = [(c["component"], c["before"], c["after"]) for c in real["changes"]]
    assert [(c["component"], c["before"], c["after"]) for c in simulated["changes"]] == triples
    assert "lab-web 1.2-1" in simulated["diff"]["after"]
    assert real["rollback"]["data"]["packages"] == {n: "1.0-1" for n in BASE}
    assert real["reboot_required"] is True and real["reboot_packages"] == ["kernel-lab"]
    assert [c["component"] for c in real["changes"] if c["reboot_required"]] == ["kernel-lab"]


def test_second_patch_is_idempotent():
    b = backend()
    Runner(b, params()).patched()
    again = validate(Runner(b, params()).patched())
    assert again["changed"] is False and again["changes"] == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"names": ["lab-*"]}, ["lab-docs", "lab-ssl", "lab-web"]),
        ({"exclude": ["kernel*"]}, ["lab-docs", "lab-ssl", "lab-web"]),
        ({"security_only": True}, ["kernel-lab", "lab-ssl", "lab-web"]),
        ({"severity": "high"}, ["lab-ssl", "lab-web"]),
        ({"severity": "critical"}, ["lab-web"]),
        ({"advisories": ["CVE-2026-21385"]}, ["lab-ssl"]),
        ({"names": ["nothing-*"]}, []),
    ],
)
def test_filters(overrides, expected):
    result = validate(Runner(backend(), params(**overrides), check_mode=True).patched())
    assert components(result["changes"]) == expected
    left = {p["component"]: p["details"]["reason"] for p in result["pending"]}
    assert sorted(left) == sorted(set(BASE) - set(expected))


def test_held_packages_are_never_updated():
    result = validate(Runner(backend(held=["lab-web"]), params()).patched())
    assert "lab-web" not in components(result["changes"])
    held = next(p for p in result["pending"] if p["component"] == "lab-web")
    assert held["details"] == {"security": True, "held": True, "reason": "held"}


def test_manifest_installs_exact_versions():
    b = backend()
    manifest = check_manifest({"lab-web": "1.1-1", "lab-ssl": "1.0-1"})
    result = validate(Runner(b, params(manifest=manifest)).patched())
    assert [(c["component"], c["after"]) for c in result["changes"]] == [("lab-web", "1.1-1")]
    assert b.state["lab-web"] == "1.1-1" and b.state["lab-docs"] == "1.0-1"


def test_manifest_version_not_offered_fails_before_changing():
    b = backend()
    with pytest.raises(PackagesError, match=r"no repository offers lab-web 9\.9-1 \(nothing was changed\)"):
        Runner(b, params(manifest={"lab-web": "9.9-1"})).patched()
    assert b.state == BASE


def test_manifest_on_held_package_fails():
    with pytest.raises(PackagesError, match="lab-web is held"):
        Runner(backend(held=["lab-web"]), params(manifest={"lab-web": "1.2-1"})).patched()


def test_partial_failure_reports_changed_and_failed_and_rolls_back():
    b = backend(fail=["lab-web"])
    with pytest.raises(PackagesError) as caught:
        Runner(b, params(names=["lab-web", "lab-docs"])).patched()
    exc = caught.value
    result = validate(dict(failure_result(exc), msg=exc.msg, failed=True))
    assert result["failed_packages"] == ["lab-web"]
    assert components(result["changes"]) == ["lab-docs"]
    assert "changed: lab-docs" in exc.msg and "lab-web" in exc.msg
    back = validate(Runner(b, params(state="rolled_back", rollback=result["rollback"])).rolled_back())
    assert back["changed"] is True and b.state == BASE


def test_rollback_restores_and_is_idempotent():
    b = backend()
    patch = Runner(b, params()).patched()
    back = validate(Runner(b, params(state="rolled_back", rollback=patch["rollback"])).rolled_back())
    assert b.state == BASE
    assert back["rollback"]["data"]["packages"]["lab-web"] == "1.2-1"  # the rollback can be undone too
    again = validate(Runner(b, params(state="rolled_back", rollback=patch["rollback"])).rolled_back())
    assert again["changed"] is False


def test_rollback_check_mode_changes_nothing():
    b = backend()
    patch = Runner(b, params()).patched()
    after = dict(b.state)
    plan = validate(Runner(b, params(state="rolled_back", rollback=patch["rollback"]), check_mode=True).rolled_back())
    assert plan["changed"] is True and b.state == after


def test_rollback_names_the_version_no_longer_obtainable():
    b = backend()
    block = {"strategy": "packages", "data": {"manager": "apt", "packages": {"lab-web": "0.9-1", "lab-ssl": "1.0-1"}}}
    b.state["lab-ssl"] = "1.2-1"
    with pytest.raises(PackagesError, match=r"no longer obtainable from any repository: lab-web 0\.9-1"):
        Runner(b, params(state="rolled_back", rollback=block)).rolled_back()
    assert b.state["lab-ssl"] == "1.2-1"


def test_rollback_refuses_another_managers_block():
    block = {"strategy": "transaction", "data": {"manager": "dnf", "packages": {"a": "1"}, "transaction": 4}}
    with pytest.raises(PackagesError, match="written by 'dnf'"):
        Runner(backend(), params(state="rolled_back", rollback=block)).rolled_back()


def test_rollback_removes_packages_that_were_new():
    b = backend()
    block = {"strategy": "packages", "data": {"manager": "apt", "packages": {"lab-broken": None}}}
    b.state["lab-broken"] = "1.1-1"
    result = validate(Runner(b, params(state="rolled_back", rollback=block)).rolled_back())
    assert "lab-broken" not in b.state
    assert result["changes"][0]["after"] is None


def test_failure_result_without_partial_result_is_an_empty_record():
    result = failure_result(PackagesError("locked"))
    validate(dict(result, failed=True, msg="locked", changed=False))
    assert result["changes"] == []


# --- unknown advisory data (issue 14 item 2) ------------------------------------------------------------------------


def unknown_backend():
    return FakeBackend(BASE, AVAILABLE, ADVISORIES, unknown=("lab-docs", "kernel-lab"))


def test_severity_filter_over_unknown_data_fails_by_default_and_changes_nothing():
    b = unknown_backend()
    with pytest.raises(PackagesError, match=r"severity: 2 update\(s\) have unknown advisories.*kernel-lab, lab-docs"):
        Runner(b, params(severity="high")).patched()
    assert b.state == BASE and not [c for c in b.calls if c[0] == "apply"]


def test_unknown_severity_exclude_and_include_are_counted():
    excluded = validate(Runner(unknown_backend(), params(severity="high", unknown_severity="exclude")).patched())
    assert components(excluded["changes"]) == ["lab-ssl", "lab-web"]
    reasons = {p["component"]: p["details"]["reason"] for p in excluded["pending"]}
    assert reasons["lab-docs"] == "advisory data unknown (unknown_severity=exclude)"
    assert excluded["pending"][0]["details"]["advisory_data"] == "unknown"
    assert excluded["decided_on_unknown"] == 2
    included = validate(Runner(unknown_backend(), params(severity="high", unknown_severity="include")).patched())
    assert components(included["changes"]) == ["kernel-lab", "lab-docs", "lab-ssl", "lab-web"]
    assert included["decided_on_unknown"] == 2


def test_scan_counts_unknown_advisory_data():
    result = validate(Runner(unknown_backend(), params(state="scanned")).scanned())
    assert result["unknown_advisory_data"] == 2
    assert result["msg"] == "4 pending updates (3 security, 2 with unknown advisories and severity)"


def test_filters_without_severity_do_not_care_about_unknown_data():
    result = validate(Runner(unknown_backend(), params(names=["lab-docs"])).patched())
    assert components(result["changes"]) == ["lab-docs"] and "decided_on_unknown" not in result


# --- broken package state (issue 14 item 4) -------------------------------------------------------------------------

INTERRUPTED = "dpkg was interrupted (unfinished journal in /var/lib/dpkg/updates): dpkg --configure -a"


def test_broken_state_refuses_to_patch_with_changed_false():
    b = backend(problems=[INTERRUPTED])
    with pytest.raises(PackagesError, match="the package state is broken, nothing was planned or changed") as caught:
        Runner(b, params()).patched()
    result = validate(dict(failure_result(caught.value), msg=caught.value.msg, failed=True))
    assert result["changed"] is False and result["changes"] == []
    assert result["package_state"] == {"healthy": False, "problems": [INTERRUPTED]}
    assert b.state == BASE and "repair" not in b.calls


def test_broken_state_check_mode_reports_it_too():
    with pytest.raises(PackagesError, match="package state is broken"):
        Runner(backend(problems=[INTERRUPTED]), params(), check_mode=True).patched()
    plan = validate(Runner(backend(problems=[INTERRUPTED]), params(repair=True), check_mode=True).patched())
    assert plan["msg"].startswith("would repair the package state first") and plan["changes"] == []


def test_broken_state_is_repaired_only_when_asked():
    b = backend(problems=[INTERRUPTED])
    result = validate(Runner(b, params(repair=True)).patched())
    assert b.calls.index("repair") < next(i for i, c in enumerate(b.calls) if c[0] == "apply")
    assert result["repaired"] == ["dpkg --configure -a"] and result["package_state"]["healthy"] is True
    assert result["package_state"]["before_repair"] == [INTERRUPTED]


def test_scan_reports_the_broken_state():
    result = validate(Runner(backend(problems=[INTERRUPTED]), params(state="scanned")).scanned())
    assert result["msg"].startswith("package state broken: dpkg was interrupted")
    assert result["package_state"]["healthy"] is False


def test_failed_run_without_version_changes_is_no_change():
    """dpkg refuses (interrupted) and leaves the target half-configured at its version: no fake 'X -> X'."""
    b = backend(fail_unchanged=["lab-docs"])
    with pytest.raises(PackagesError) as caught:
        Runner(b, params(names=["lab-docs"])).patched()
    result = validate(dict(failure_result(caught.value), msg=caught.value.msg, failed=True))
    assert result["changes"] == [] and result["changed"] is False
    assert result["failed_packages"] == ["lab-docs"]
    assert "changed: nothing; nothing to roll back" in caught.value.msg
    assert "rollback block restores" not in caught.value.msg
    assert result["rollback"] == {"strategy": "none", "data": {}}


# --- smaller defects ------------------------------------------------------------------------------------------------


def test_dependency_pulled_in_by_a_filter_is_not_also_pending():
    b = backend(depends={"lab-web": {"lab-ssl": "1.2-1"}})
    for check_mode in (True, False):
        result = validate(Runner(b, params(names=["lab-web"]), check_mode=check_mode).patched())
        assert components(result["changes"]) == ["lab-ssl", "lab-web"]
        assert "lab-ssl" not in components(result["pending"])


def test_controller_gone_starts_no_transaction():
    b = backend()
    gone = Runner(b, params(), controller_gone=lambda: "the connection's process 41 (sshd) has exited")
    with pytest.raises(PackagesError, match=r"the controller is gone \(.*sshd.*\): the transaction not started"):
        gone.patched()
    assert b.state == BASE and not [c for c in b.calls if c[0] == "apply"]
    patch = Runner(backend(), params()).patched()
    rollback = Runner(b, params(state="rolled_back", rollback=patch["rollback"]), controller_gone=lambda: "x")
    b.state = dict(b.state, **{"lab-web": "1.2-1"})
    with pytest.raises(PackagesError, match="controller is gone"):
        rollback.rolled_back()


def test_rollback_of_a_half_configured_package_is_not_refused():
    """The failed patch left lab-web half-configured: rolling it back is the repair, not a broken-state refusal."""
    b = backend(problems=["packages not fully installed: lab-web (iF)"])
    block = {"strategy": "packages", "data": {"manager": "apt", "packages": {"lab-web": "1.0-1"}}}
    b.state["lab-web"] = "1.2-1"
    result = validate(Runner(b, params(state="rolled_back", rollback=block)).rolled_back())
    assert result["changed"] is True and b.state["lab-web"] == "1.0-1"
    with pytest.raises(PackagesError, match="package state is broken"):
        Runner(backend(problems=[INTERRUPTED]), params(state="rolled_back", rollback=block)).rolled_back()


def test_a_package_new_in_the_plan_gets_the_reboot_rules_in_check_mode_and_the_real_run():
    def kernel_backend():
        return FakeBackend(
            {"linux-image-amd64": "6.1.158-1", "lab-web": "1.0-1"},
            {"linux-image-amd64": ["6.1.158-1", "6.1.170-1"], "lab-web": ["1.0-1", "1.2-1"]},
            depends={"linux-image-amd64": {"linux-image-6.1.0-57-amd64": "6.1.170-1"}},
        )

    check = validate(Runner(kernel_backend(), params(), check_mode=True).patched())
    real = validate(Runner(kernel_backend(), params()).patched())
    for result in (check, real):
        flags = {c["component"]: c["reboot_required"] for c in result["changes"]}
        assert flags == {"lab-web": False, "linux-image-6.1.0-57-amd64": True, "linux-image-amd64": True}
    assert check["simulated"] is True and real["reboot_required"] is True


class CountingBackend(FakeBackend):
    """A backend whose reboot state costs a command (zypper needs-rebooting, needs-restarting -r): counted."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state_reads = 0

    def reboot_state(self):
        self.state_reads += 1
        return super().reboot_state()


def test_a_patch_reads_the_reboot_state_once():
    b = CountingBackend(BASE, AVAILABLE, reboot_names=["kernel-lab"])
    result = validate(Runner(b, params()).patched())
    assert result["reboot_required"] is True and result["reboot_packages"] == ["kernel-lab"]
    assert {c["component"]: c["reboot_required"] for c in result["changes"]}["kernel-lab"] is True
    assert b.state_reads == 1
