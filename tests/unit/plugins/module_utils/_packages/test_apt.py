"""The apt backend over recorded command outputs (a fake run_command: argv lists, never a shell)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages import apt
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError

FIXTURES = Path(__file__).with_name("fixtures")


def fixture(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


class FakeModule:
    def __init__(self, answers):
        self.answers = answers  # first argv word after options -> (rc, out, err)
        self.argvs = []

    def run_command(self, argv, environ_update=None, **kw):
        assert isinstance(argv, list), "commands must be argument vectors"
        assert environ_update["LANG"] == "C"
        self.argvs.append(argv)
        for key, answer in self.answers.items():
            if key in argv:
                return answer
        raise AssertionError(f"unexpected command {argv}")


def backend(extra=None):
    answers = {
        "dpkg-query": (0, fixture("lab-apt.dpkg-query.txt"), ""),
        "dist-upgrade": (0, fixture("lab-apt.apt-get-simulate-dist-upgrade.txt"), ""),
        "changelog": (0, fixture("lab-apt.apt-get-changelog.txt"), ""),
        "madison": (0, fixture("lab-apt.apt-cache-madison.txt"), ""),
        "policy": (0, fixture("lab-apt.apt-cache-policy.txt"), ""),
    }
    answers.update(extra or {})
    return apt.AptBackend(FakeModule(answers), lock_timeout=7)


def test_updates_carry_suite_advisories_and_severity():
    b = backend()
    entries = {e["name"]: e for e in b.updates(b.installed())}
    assert len(entries) == 24
    web = entries["lab-web"]
    assert (web["current"], web["candidate"], web["security"]) == ("1.0-1", "1.2-1", True)
    assert {"CVE-2026-21169", "CVE-2026-21081", "ELSA-2026:0104"} <= set(web["advisories"])
    assert web["severity"] == "critical"  # 1.1-1 was Critical, 1.2-1 Important: the highest counts
    assert entries["lab-docs"]["advisories"] == ["ELBA-2026:0135"] and entries["lab-docs"]["severity"] is None
    assert entries["lab-agent"]["advisories"] == []  # no changelog fetched for it in this capture
    changelog_call = next(a for a in b.module.argvs if "changelog" in a)
    assert changelog_call[:3] == ["apt-get", "-q", "changelog"]


def test_apt_changelogs_false_skips_the_changelog_download():
    b = backend()
    b.module.params = {"apt_changelogs": False}
    entries = {e["name"]: e for e in b.updates(b.installed())}
    assert len(entries) == 24
    assert not any("changelog" in argv for argv in b.module.argvs)
    web = entries["lab-web"]
    assert (web["advisories"], web["severity"]) == ([], None)
    assert web["security"] is True  # still known from the candidate's security suite
    assert entries["lab-docs"]["security"] is False


def test_advisories_from_changelog_made_up():
    text = (
        "pkg (2.0-1) bookworm-security; urgency=high\n\n  * Fix CVE-2026-1111 (DSA-5999-1).\n\n -- x  date\n\n"
        "pkg (1.5-1) bookworm; urgency=low\n\n  * Bugfix only.\n\n -- x  date\n\n"
        "pkg (1.0-1) bookworm; urgency=emergency\n\n  * Fix CVE-2020-0001.\n"
    )
    assert apt.advisories_from_changelog(text, "1.0-1") == (["DSA-5999-1", "CVE-2026-1111"], "high")
    ids, severity = apt.advisories_from_changelog(text, None)
    assert "CVE-2020-0001" in ids and severity == "critical"
    assert apt.advisories_from_changelog("", "1.0") == ([], None)


def test_split_changelogs():
    logs = apt.split_changelogs(fixture("lab-apt.apt-get-changelog.txt"))
    assert sorted(logs) == ["lab-docs", "lab-ssl", "lab-web"]
    assert logs["lab-ssl"].startswith("lab-ssl (1.2-1)")


def test_simulate_install_plan_with_new_and_removed():
    b = backend({"install": (0, fixture("lab-apt.apt-get-simulate-install.txt"), "")})
    plan = b.simulate({"lab-agent": "1.1-1", "lab-web": "1.2-1", "lab-broken": "1.1-1", "lab-docs": None})
    assert plan["lab-docs"] == ("1.0-1", None)
    assert plan["lab-broken"] == (None, "1.1-1")
    assert plan["lab-ssl"] == ("1.0-1", "1.2-1")
    argv = b.module.argvs[-1]
    assert argv[:2] == ["apt-get", "-s"] and "lab-docs-" in argv and "lab-agent=1.1-1" in argv


def test_apply_uses_lock_timeout_and_exact_versions():
    b = backend({"install": (0, "", "")})
    b.apply({"lab-web": "1.2-1"})
    argv = b.module.argvs[-1]
    assert "DPkg::Lock::Timeout=7" in argv and argv[-1] == "lab-web=1.2-1" and "-y" in argv


def test_apply_failure_is_a_packages_error():
    b = backend({"install": (100, "", "E: Sub-process /usr/bin/dpkg returned an error code (1)")})
    with pytest.raises(PackagesError, match=r"apt-get install failed \(rc 100\): E: Sub-process"):
        b.apply({"lab-web": "1.2-1"})


def test_refresh_makes_repository_errors_fatal():
    b = backend({"update": (100, "", "E: Failed to fetch http://127.0.0.1:8480/apt/dists/lab/InRelease")})
    with pytest.raises(PackagesError, match="repository metadata"):
        b.refresh()
    assert "--error-on=any" in b.module.argvs[-1]


def test_missing_versions():
    b = backend()
    assert b.missing({"lab-agent": "1.1-1", "lab-web": "0.9-1", "lab-new": None}) == [("lab-web", "0.9-1")]


def test_held_candidates_from_policy():
    b = backend()
    installed = b.installed()
    b.status["lab-web"]["held"] = True
    found = b._held_candidates(installed)
    assert [(e["name"], e["candidate"], e["held"]) for e in found] == [("lab-web", "1.2-1", True)]


def test_reboot_state(tmp_path, monkeypatch):
    flag = tmp_path / "reboot-required"
    monkeypatch.setattr(apt, "REBOOT_FILE", str(flag))
    assert backend().reboot_state() == (False, [])
    flag.write_text("*** System restart required ***\n")
    assert backend().reboot_state() == (True, [])
    (tmp_path / "reboot-required.pkgs").write_text("kernel-lab\n")
    assert backend().reboot_state() == (True, ["kernel-lab"])
