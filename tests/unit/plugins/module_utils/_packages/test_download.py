"""state: downloaded -- apt's --print-uris / --download-only handling (real outputs), the runner's flow over a fake
downloader (check mode fetches nothing, already cached is no change, nothing installed, clear errors)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages import apt, download
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError
from ansible_collections.everylayer.patch.plugins.module_utils._packages.runner import Runner
from helpers.change_record import validate
from packages_fake_backend import FakeBackend

FIXTURES = Path(__file__).with_name("fixtures")
TARGETS = {"libssl3": "3.0.22-1~deb12u2", "zlib1g": "1:1.2.13.dfsg-1+deb12u1", "openssl": "3.0.22-1~deb12u2"}


def fixture(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


class ScriptedModule:
    """run_command answers by a key word in argv; each key's answers are used in turn (the last one repeats)."""

    def __init__(self, answers):
        self.answers = {k: list(v) for k, v in answers.items()}
        self.argvs = []

    def run_command(self, argv, environ_update=None, **kw):
        assert isinstance(argv, list)
        self.argvs.append(argv)
        for key, queue in self.answers.items():
            if key in argv:
                return queue.pop(0) if len(queue) > 1 else queue[0]
        raise AssertionError(f"unexpected command {argv}")


def apt_downloads(print_uris, download_answer=(0, "", "")):
    module = ScriptedModule(
        {
            "--print-uris": [(0, fixture(name), "") for name in print_uris],
            "--download-only": [download_answer],
            "-s": [(0, fixture("debian-12.apt-get-simulate-install-openssl.txt"), "")],
        }
    )
    return download.AptDownloads(apt.AptBackend(module, lock_timeout=9)), module


def test_print_uris_names_what_apt_would_still_download():
    downloads, _m = apt_downloads(["debian-12.apt-get-print-uris.txt"])
    missing = downloads.missing_files(TARGETS)
    assert missing == {
        "zlib1g": ("zlib1g_1%3a1.2.13.dfsg-1+deb12u1_amd64.deb", 86880),
        "libssl3": ("libssl3_3.0.22-1~deb12u2_amd64.deb", 2039888),
        "openssl": ("openssl_3.0.22-1~deb12u2_amd64.deb", 1441784),
    }


def test_print_uris_after_download_only_lists_nothing():
    downloads, _m = apt_downloads(["debian-12.apt-get-print-uris-cached.txt"])
    assert downloads.missing_files(TARGETS) == {}


def test_plan_covers_new_dependencies_with_their_sizes():
    downloads, module = apt_downloads(["debian-12.apt-get-print-uris.txt"])
    plan = downloads.plan({"libssl3": TARGETS["libssl3"], "zlib1g": TARGETS["zlib1g"]})
    assert plan == [
        ("libssl3", "3.0.22-1~deb12u2", True, 2039888),
        ("openssl", "3.0.22-1~deb12u2", True, 1441784),  # new: not asked for, but the install needs it
        ("zlib1g", "1:1.2.13.dfsg-1+deb12u1", True, 86880),
    ]
    uris = next(a for a in module.argvs if "--print-uris" in a)
    assert "Debug::NoLocking=1" in uris and "libssl3=3.0.22-1~deb12u2" in uris and "install" in uris


def test_fetch_downloads_exact_versions_under_the_lock_timeout_and_verifies():
    downloads, module = apt_downloads(["debian-12.apt-get-print-uris-cached.txt"])
    assert downloads.fetch(TARGETS) == []
    argv = next(a for a in module.argvs if "--download-only" in a)
    assert argv[0] == "apt-get" and "DPkg::Lock::Timeout=9" in argv
    assert {"libssl3=3.0.22-1~deb12u2", "zlib1g=1:1.2.13.dfsg-1+deb12u1", "openssl=3.0.22-1~deb12u2"} <= set(argv)


def test_fetch_failure_names_the_command_and_apts_words():
    err = "E: Failed to fetch http://mirror.example/pool/x.deb  Could not connect to 127.0.0.1:3799\n"
    downloads, _m = apt_downloads(["debian-12.apt-get-print-uris.txt"], (100, "", err))
    with pytest.raises(PackagesError) as caught:
        downloads.fetch(TARGETS)
    assert "apt-get install --download-only failed (rc 100)" in caught.value.msg
    assert "Could not connect" in caught.value.msg


def test_removals_are_not_downloaded():
    assert download._apt_args({"old-lib": None, "libssl3": "3.0.22-1~deb12u2"}) == ["libssl3=3.0.22-1~deb12u2"]


def test_zypper_cache_is_found_by_name_and_version_without_epoch(tmp_path, monkeypatch):
    monkeypatch.setattr(download, "ZYPP_PACKAGES", str(tmp_path))
    rpm = tmp_path / "everylayer-lab" / "x86_64" / "lab-agent-1.1-1.x86_64.rpm"
    rpm.parent.mkdir(parents=True)
    rpm.write_bytes(b"")
    assert download.ZypperDownloads._cached("lab-agent", "1.1-1")
    assert download.ZypperDownloads._cached("lab-agent", "2:1.1-1")
    assert not download.ZypperDownloads._cached("lab-agent", "1.2-1")
    assert not download.ZypperDownloads._cached("lab-agent-extra", "1.1-1")


# --- the runner's flow over a fake backend and downloader ---------------------------------------------------

BASE = {"lab-web": "1.0-1", "lab-ssl": "1.0-1", "lab-docs": "1.0-1"}
AVAILABLE = {"lab-web": ["1.0-1", "1.2-1"], "lab-ssl": ["1.0-1", "1.2-1"], "lab-docs": ["1.0-1", "1.1-1"]}
ADVISORIES = {"lab-web": (["CVE-2026-21081"], "critical", True), "lab-ssl": (["CVE-2026-21385"], "high", True)}


class FakeDownloads:
    cache: set = set()
    fetched: list = []
    lose: set = set()  # names a fetch "forgets" (a mirror that served a truncated file)

    def __init__(self, backend):
        self.backend = backend

    def plan(self, targets):
        return [(n, v, (n, v) not in self.cache, 1048576) for n, v in sorted(targets.items()) if v is not None]

    def fetch(self, targets):
        FakeDownloads.fetched.append(dict(targets))
        for n, v in targets.items():
            if n not in self.lose:
                FakeDownloads.cache.add((n, v))
        return sorted(n for n, v, fetch, _s in self.plan(targets) if fetch)


@pytest.fixture
def fake(monkeypatch):
    FakeDownloads.cache, FakeDownloads.fetched, FakeDownloads.lose = set(), [], set()
    monkeypatch.setitem(download.DOWNLOADERS, "apt", FakeDownloads)
    return FakeDownloads


def params(**overrides):
    base = {"state": "downloaded", "names": [], "exclude": [], "security_only": False, "advisories": [],
            "severity": None, "manifest": None, "rollback": None, "update_cache": True, "lock_timeout": 0}  # fmt: skip
    base.update(overrides)
    return base


def run(backend, check=False, **kw):
    return validate(Runner(backend, params(**kw), check_mode=check).downloaded())


def test_downloaded_fetches_the_selection_installs_nothing_and_is_idempotent(fake):
    b = FakeBackend(BASE, AVAILABLE, ADVISORIES)
    first = run(b, security_only=True)
    assert first["changed"] is True and first["changes"] == [] and first["rollback"]["strategy"] == "none"
    assert first["downloaded"] == [
        {"name": "lab-ssl", "version": "1.2-1", "fetched": True},
        {"name": "lab-web", "version": "1.2-1", "fetched": True},
    ]
    assert first["download_bytes"] == 2 * 1048576
    assert fake.fetched == [{"lab-ssl": "1.2-1", "lab-web": "1.2-1"}]
    assert b.state == BASE and not any(isinstance(c, tuple) and c[0] == "apply" for c in b.calls)
    reasons = {p["component"]: p["details"]["reason"] for p in first["pending"]}
    assert reasons == {
        "lab-docs": "not a security update",
        "lab-ssl": "downloaded, not installed",
        "lab-web": "downloaded, not installed",
    }
    again = run(b, security_only=True)
    assert again["changed"] is False and len(fake.fetched) == 1
    assert all(d["fetched"] is False for d in again["downloaded"])
    assert "already in the cache" in again["msg"]


def test_check_mode_forecasts_without_fetching(fake):
    b = FakeBackend(BASE, AVAILABLE, ADVISORIES)
    result = run(b, check=True)
    assert result["changed"] is True and result["simulated"] is True and fake.fetched == []
    assert [d["name"] for d in result["downloaded"] if d["fetched"]] == ["lab-docs", "lab-ssl", "lab-web"]
    assert result["msg"].startswith("would download 3 package(s)")


def test_manifest_selects_exact_versions_and_unknown_versions_fail_before_any_download(fake):
    b = FakeBackend(BASE, AVAILABLE, ADVISORIES)
    result = run(b, manifest={"lab-web": "1.2-1"})
    assert [d["name"] for d in result["downloaded"]] == ["lab-web"] and fake.fetched == [{"lab-web": "1.2-1"}]
    with pytest.raises(PackagesError) as caught:
        run(b, manifest={"lab-web": "9.9-1"})
    assert "lab-web 9.9-1" in caught.value.msg and "nothing was downloaded" in caught.value.msg
    assert len(fake.fetched) == 1


def test_nothing_selected_is_not_a_change(fake):
    b = FakeBackend(BASE, AVAILABLE, ADVISORIES)
    result = run(b, names=["no-such-*"])
    assert result["changed"] is False and result["downloaded"] == [] and fake.fetched == []
    assert result["msg"].startswith("nothing to download")


def test_a_fetch_that_leaves_packages_uncached_fails_naming_them(fake):
    fake.lose = {"lab-web"}
    b = FakeBackend(BASE, AVAILABLE, ADVISORIES)
    with pytest.raises(PackagesError) as caught:
        run(b, security_only=True)
    assert "lab-web" in caught.value.msg and "nothing was installed" in caught.value.msg
    assert caught.value.result["changes"] == []
