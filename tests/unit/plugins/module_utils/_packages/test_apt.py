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
    assert entries["lab-agent"]["advisories"] == []  # no changelog for it in this capture: unknown, not "none"
    assert entries["lab-agent"]["advisory_data"] == "unknown" and entries["lab-web"]["advisory_data"] == "changelog"
    assert any(w.startswith("changelog of lab-agent not read") for w in b.warnings)
    changelog_call = next(a for a in b.module.argvs if "changelog" in a)
    assert changelog_call[:4] == ["timeout", "-k", "5", "120"] and "apt-get" in changelog_call


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
    assert apt.advisories_from_changelog(text, "1.0-1") == (["CVE-2026-1111", "DSA-5999-1"], "high")
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


# --- a Debian 12 host: binaries whose source package differs (fixtures/SOURCES.md) ----------------------------------

UNREACHABLE_ERR = fixture("debian-12.apt-get-changelog-unreachable.stderr")


def debian_backend(changelog_answer, params=None):
    answers = {
        "dpkg-query": (0, fixture("debian-12.dpkg-query.txt"), ""),
        "dist-upgrade": (0, fixture("debian-12.apt-get-simulate-dist-upgrade.txt"), ""),
        "changelog": changelog_answer,
    }
    b = apt.AptBackend(FakeModule(answers), lock_timeout=0)
    b.module.params = params or {}
    return b


def test_advisories_follow_the_source_package_and_each_source_is_read_once():
    logs = fixture("debian-12.openssl.changelog") + "\n" + fixture("debian-12.glibc.changelog")
    zlib_error = [line for line in UNREACHABLE_ERR.splitlines() if "zlib=" in line][0]
    b = debian_backend((100, logs, zlib_error + "\n"))
    entries = {e["name"]: e for e in b.updates(b.installed())}
    libssl3, openssl = entries["libssl3"], entries["openssl"]
    assert libssl3["advisories"][:2] == ["CVE-2026-28387", "CVE-2026-28389"]
    assert len(libssl3["advisories"]) == 15 and libssl3["advisories"] == openssl["advisories"]
    assert libssl3["severity"] == "medium" and libssl3["advisory_data"] == "changelog"
    assert entries["libc6"]["advisories"] == entries["libc-bin"]["advisories"] != []
    asked = next(a for a in b.module.argvs if "changelog" in a)
    asked = asked[asked.index("changelog") + 1 :]
    assert sorted(asked) == ["libc6", "libssl3", "zlib1g"]  # one binary per source: glibc, openssl, zlib
    zlib = entries["zlib1g"]
    assert (zlib["advisories"], zlib["severity"], zlib["advisory_data"]) == ([], None, "unknown")
    assert b.warnings == [
        "changelog of zlib1g (source zlib) not read: Changelog unavailable for zlib=1:1.2.13.dfsg-1+deb12u1 "
        "(Could not resolve 'metadata.ftp-master.debian.org'); advisories and severity unknown"
    ]


def test_unreachable_changelog_server_makes_every_update_unknown_with_a_warning_each():
    b = debian_backend((100, fixture("debian-12.apt-get-changelog-unreachable.stdout"), UNREACHABLE_ERR))
    entries = b.updates(b.installed())
    assert {e["advisory_data"] for e in entries} == {"unknown"}
    assert len(b.warnings) == 3
    assert any("libssl3, openssl (source openssl)" in w and "Could not resolve" in w for w in b.warnings)
    calls = [a[a.index("changelog") + 1 :] for a in b.module.argvs if "changelog" in a]
    assert calls == [["libc6", "libssl3", "zlib1g"], ["libc6"]]  # apt named openssl and zlib: not asked again


def test_changelog_timeout_bounds_the_download():
    b = debian_backend((124, "", ""), {"changelog_timeout": 30})
    entries = b.updates(b.installed())
    argv = next(a for a in b.module.argvs if "changelog" in a)
    assert argv[:4] == ["timeout", "-k", "5", "30"] and "Acquire::http::Timeout=30" in argv
    assert {e["advisory_data"] for e in entries} == {"unknown"}
    assert all("did not finish within 30 s (changelog_timeout)" in w for w in b.warnings)


def test_binnmu_installed_source_version_stops_the_changelog(monkeypatch):
    status = fixture("debian-12.dpkg-query.txt").replace(
        "libssl3\t3.0.17-1~deb12u2\tii \tamd64\topenssl\t3.0.17-1~deb12u2",
        "libssl3\t3.0.17-1~deb12u2+b1\tii \tamd64\topenssl\t3.0.17-1~deb12u2",
    )
    sim = fixture("debian-12.apt-get-simulate-dist-upgrade.txt").replace(
        "[3.0.17-1~deb12u2]", "[3.0.17-1~deb12u2+b1]", 1
    )
    b = debian_backend((0, fixture("debian-12.openssl.changelog"), ""))
    b.module.answers["dpkg-query"] = (0, status, "")
    b.module.answers["dist-upgrade"] = (0, sim, "")
    libssl3 = next(e for e in b.updates(b.installed()) if e["name"] == "libssl3")
    assert libssl3["current"] == "3.0.17-1~deb12u2+b1"
    assert "CVE-2024-13176" not in libssl3["advisories"] and len(libssl3["advisories"]) == 15


def test_error_detail_keeps_the_meaningful_dpkg_lines():
    out = (
        "Unpacking lab-db (1.2-1) over (1.0-1) ...\n"
        "dpkg: error processing archive /var/cache/apt/archives/lab-db_1.2-1_all.deb (--unpack):\n"
        " cannot copy extracted data for './usr/share/lab/lab-db/payload.bin' to "
        "'/usr/share/lab/lab-db/payload.bin.dpkg-new': failed to write (No space left on device)\n"
        "Errors were encountered while processing:\n /var/cache/apt/archives/lab-db_1.2-1_all.deb\n"
    )
    err = "E: Sub-process /usr/bin/dpkg returned an error code (1)\n"
    b = backend({"install": (100, out, err)})
    with pytest.raises(PackagesError) as caught:
        b.apply({"lab-db": "1.2-1"})
    assert "No space left on device" in caught.value.msg
    assert caught.value.msg.endswith("E: Sub-process /usr/bin/dpkg returned an error code (1)")


def test_rollback_purges_packages_that_were_new():
    b = backend({"install": (0, "", "")})
    b.restore({"lab-web": "1.0-1", "lab-broken": None})
    argv = b.module.argvs[-1]
    # apt 2.6 rejects NAME_ ("Unable to locate package"): NAME- with --purge, in the same transaction.
    assert "--purge" in argv and "lab-broken-" in argv and "lab-broken_" not in argv and "lab-web=1.0-1" in argv


def test_interrupted_dpkg_and_half_installed_packages_are_problems(tmp_path, monkeypatch):
    updates = tmp_path / "updates"
    updates.mkdir()
    monkeypatch.setattr(apt, "DPKG_UPDATES", str(updates))
    status = fixture("lab-apt.dpkg-query.txt").replace("lab-agent\t1.0-1\tii ", "lab-agent\t1.0-1\tiF ")
    b = backend({"dpkg-query": (0, status, ""), "--audit": (0, "", "")})
    b.installed()
    assert b.problems() == ["packages not fully installed: lab-agent (iF)"]
    (updates / "0001").write_text("Package: lab-agent\nStatus: install ok half-configured\n")
    audit = "The following packages are only half configured, probably due to problems\nconfiguring them.\n"
    b.module.answers["--audit"] = (1, audit, "")
    assert b.problems()[0].startswith("dpkg was interrupted")


def test_dpkg_audit_alone_is_a_problem():
    b = backend({"--audit": (1, " lab-web     Lab web server\n", "")})
    b.installed()
    assert b.problems() == ["dpkg --audit: lab-web     Lab web server"]


def test_repair_runs_dpkg_configure_then_apt_fix():
    b = backend({"--configure": (0, "", ""), "install": (0, "", "")})
    assert b.repair() == ["dpkg --configure -a", "apt-get install -f"]
    assert b.module.argvs[-2][0] == "dpkg" and b.module.argvs[-1][-3:] == ["install", "-f", "-y"]


def test_problems_ignore_what_a_rollback_reinstalls():
    status = fixture("lab-apt.dpkg-query.txt").replace("lab-agent\t1.0-1\tii ", "lab-agent\t1.0-1\tiF ")
    b = backend({"dpkg-query": (0, status, ""), "--audit": (1, " lab-agent    Lab agent\n", "")})
    b.installed()
    assert b.problems(ignore={"lab-agent"}) == []
    assert b.problems() == ["packages not fully installed: lab-agent (iF)"]


def _per_source_changelogs(b, hang=()):
    """apt 2.6: a batch ``apt-get changelog`` prints nothing once one changelog cannot be fetched; alone, each
    binary answers with its source's changelog, zlib1g with apt's error, a binary in ``hang`` with a timeout."""
    zlib_error = [line for line in UNREACHABLE_ERR.splitlines() if "zlib=" in line][0]
    own = {"libssl3": fixture("debian-12.openssl.changelog"), "libc6": fixture("debian-12.glibc.changelog")}
    answer = b.module.run_command

    def run_command(argv, environ_update=None, **kw):
        if "changelog" not in argv:
            return answer(argv, environ_update=environ_update, **kw)
        b.module.argvs.append(argv)
        asked = argv[argv.index("changelog") + 1 :]
        if len(asked) > 1:
            return 100, "", zlib_error + "\n"
        if asked[0] in hang:
            return 124, "", ""
        return (0, own[asked[0]], "") if asked[0] in own else (100, "", zlib_error + "\n")

    b.module.run_command = run_command


def test_one_missing_changelog_leaves_the_others_known():
    b = debian_backend((100, "", ""))
    _per_source_changelogs(b)
    entries = {e["name"]: e for e in b.updates(b.installed())}
    assert entries["libssl3"]["advisory_data"] == "changelog" and len(entries["libssl3"]["advisories"]) == 15
    assert entries["libc6"]["advisory_data"] == "changelog" and entries["libc6"]["advisories"]
    assert entries["zlib1g"]["advisory_data"] == "unknown"
    assert len(b.warnings) == 1 and "zlib1g (source zlib)" in b.warnings[0] and "zlib=" in b.warnings[0]
    calls = [a[a.index("changelog") + 1 :] for a in b.module.argvs if "changelog" in a]
    # zlib's own error is in the batch call's output: asked again alone are only the sources apt said nothing of
    assert calls == [["libc6", "libssl3", "zlib1g"], ["libc6"], ["libssl3"]]
    assert all(a[:4] == ["timeout", "-k", "5", "120"] for a in b.module.argvs if "changelog" in a)


def test_per_source_changelogs_stop_at_the_first_timeout():
    b = debian_backend((100, "", ""), {"changelog_timeout": 30})
    _per_source_changelogs(b, hang=("libc6",))
    entries = {e["name"]: e for e in b.updates(b.installed())}
    assert {e["advisory_data"] for e in entries.values()} == {"unknown"}
    calls = [a[a.index("changelog") + 1 :] for a in b.module.argvs if "changelog" in a]
    assert calls == [["libc6", "libssl3", "zlib1g"], ["libc6"]]  # the server hangs: no call per remaining source
    assert any("glibc" in w and "did not finish within 30 s" in w for w in b.warnings)
    assert any("source openssl" in w and "not tried" in w for w in b.warnings)
