"""The packages module on the real Debian archive: a chroot bootstrapped from the release suite, given the
machine's own -updates/-security suites, so its pending updates are real ones (lab/realdeb, docs/packages.md).

Order matters inside this module (one host for all tests, as a user's host would be): read-only tests first,
then pre-staging and the offline install, patch and rollback, and the broken-dpkg case last."""

from __future__ import annotations

import shutil

import pytest
from debian_archive_driver import CHANGELOG_PORT, CLOSED_PORT, REPO, cves_since, names, run_module, run_playbook

from lab.realdeb.changelogs import ChangelogServer, collect
from lab.realdeb.host import RealDebHost

pytestmark = [pytest.mark.debian_archive, pytest.mark.slow]


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    with RealDebHost(tmp_path_factory.mktemp("realdeb")) as h:
        # The candidates' .debs (cached across runs) carry the changelogs the local server hands to apt.
        h.apt("-y", "--download-only", "dist-upgrade")
        with ChangelogServer(collect(h.debs(list(h.upgradable()))), CHANGELOG_PORT) as server:
            h.set_changelog_uri(server.url)
            h.changelogs = server
            yield h


@pytest.fixture(scope="module")
def scan(host, tmp_path_factory):
    result = run_module(host, {"state": "scanned", "update_cache": False}, tmp_path_factory.mktemp("scan"))
    assert not result.get("failed"), result.get("msg")
    return result


def security_origin(host):
    return {
        n for n, (_v, suites) in host.upgradable().items() if any(s.endswith("-security") for s in suites.split(","))
    }


def test_pending_list_equals_apt_list_upgradable(host, scan):
    upgradable = host.upgradable()
    installed = host.dpkg_list()
    assert len(upgradable) >= 5, f"the archive snapshot should have real pending updates, apt lists {upgradable}"
    assert {e["component"]: e["after"] for e in scan["pending"]} == {n: v for n, (v, _s) in upgradable.items()}
    assert {e["component"]: e["before"] for e in scan["pending"]} == {n: installed[n] for n in upgradable}
    assert scan["changes"] == [] and scan["changed"] is False


def test_security_only_equals_the_security_origin(host, tmp_path):
    result = run_module(
        host,
        {"state": "patched", "security_only": True, "apt_changelogs": False, "update_cache": False},
        tmp_path,
        check=True,
    )
    assert not result.get("failed"), result.get("msg")
    expected = security_origin(host)
    assert expected, "the snapshot's security suite should offer updates"
    updated = {c["component"] for c in result["changes"] if c["before"] is not None}
    assert updated == expected
    left = {e["component"]: e["details"]["reason"] for e in result["pending"]}
    assert set(left) == set(host.upgradable()) - expected
    assert set(left.values()) <= {"not a security update"}


def test_advisories_of_a_binary_whose_source_differs(host, scan):
    """libssl3 (source openssl) and the like: advisories come from the source's changelog, since the installed
    source version (what the changelog served from the candidate's own .deb names)."""
    checked = []
    for entry in scan["pending"]:
        out = host.sh("dpkg-query", "-W", "-f", "${source:Package}\t${source:Version}", entry["component"]).stdout
        source, installed_source = out.split("\t")
        if source == entry["component"]:
            continue
        logs = [t for (s, _v), t in collect(host.debs([entry["component"]])).items() if s == source]
        if not logs:
            continue
        expected = cves_since(logs[0], installed_source)
        if not expected:
            continue
        checked.append(entry["component"])
        got = {a for a in entry["advisories"] if a.startswith("CVE-")}
        assert got == expected, f"{entry['component']} (source {source} {installed_source}): {got} != {expected}"
        assert entry["severity"] is not None or entry.get("details", {}).get("severity_unknown") is not True
    assert checked, "no pending binary whose source name differs names a CVE since its installed version"
    assert any("/openssl/" in path for path in host.changelogs.served), host.changelogs.served


def test_one_missing_changelog_leaves_the_others_known(host, tmp_path):
    """A changelog the server does not have (404: a package from a repository without changelogs) makes that
    source's updates unknown, named in a warning, and no other: apt-get changelog with several packages prints
    nothing at all when one of them fails, so the others must still be read."""
    served = host.changelogs.handler.logs
    removed = {key: served.pop(key) for key in sorted(served) if key[0] == "pcre2"}
    assert removed, "the snapshot's pending updates should include pcre2's libpcre2-8-0"
    try:
        scan = run_module(host, {"state": "scanned", "update_cache": False}, tmp_path)
    finally:
        served.update(removed)
    assert not scan.get("failed"), scan.get("msg")
    by_name = {e["component"]: e for e in scan["pending"]}
    assert any("libpcre2-8-0" in w for w in scan.get("warnings", [])), scan.get("warnings")
    assert by_name["libpcre2-8-0"]["advisories"] == []
    assert {a for a in by_name["libssl3"]["advisories"] if a.startswith("CVE-")}, by_name["libssl3"]
    unknown = sorted(n for n, e in by_name.items() if (e.get("details") or {}).get("advisory_data") == "unknown")
    assert unknown == ["libpcre2-8-0"], unknown


def test_unreachable_changelogs_are_unknown_not_none(host, tmp_path):
    """The distribution's changelog server unreachable (as behind a proxy): warnings name the packages and apt's
    words; a severity filter over that unknown data fails clearly instead of "nothing to patch"."""
    host.set_changelog_uri(f"http://127.0.0.1:{CLOSED_PORT}/@CHANGEPATH@/changelog", timeout=3)
    try:
        scan = run_module(host, {"state": "scanned", "update_cache": False}, tmp_path)
        assert not scan.get("failed"), scan.get("msg")
        warnings = " ".join(scan.get("warnings", []))
        assert "changelog" in warnings and any(e["component"] in warnings for e in scan["pending"]), warnings
        patch = run_module(
            host,
            {"state": "patched", "security_only": True, "severity": "high", "update_cache": False},
            tmp_path,
            check=True,
        )
        assert patch.get("failed") is True, patch["msg"]
        assert "unknown" in patch["msg"], patch["msg"]
        assert patch.get("changes", []) == []
    finally:
        host.set_changelog_uri(host.changelogs.url)


def test_prestaged_set_installs_offline_then_rolls_back_exactly(host, tmp_path):
    """downloaded (check, real, idempotent) -> patched with the mirror unreachable -> re-run -> rolled_back:
    dpkg's list after the rollback equals the list before the patch."""
    before = host.dpkg_list()
    args = {"security_only": True, "apt_changelogs": False, "update_cache": False}
    selected = security_origin(host)
    for deb in host.debs(sorted(selected)):
        deb.unlink()  # a real download, not the fixture's cache
    check = run_module(host, {"state": "downloaded", **args}, tmp_path, check=True)
    assert check["changed"] is True and check["changes"] == [], check["msg"]
    assert selected <= {d["name"] for d in check["downloaded"] if d["fetched"]}
    assert not host.debs(sorted(selected)), "check mode downloaded something"

    # The real download through playbooks/prestage.yml, with the frozen set as its manifest.
    frozen = {n: v for n, (v, _s) in host.upgradable().items() if n in selected}
    staged = run_playbook(
        host,
        REPO / "playbooks" / "prestage.yml",
        {"prestage_hosts": host.name, "prestage_manifest": frozen, "prestage_update_cache": False},
        tmp_path,
    )
    assert "nothing installed" in staged.stdout and "changed=1" in staged.stdout, staged.stdout[-2000:]
    assert {d.name.split("_")[0] for d in host.debs(sorted(selected))} == selected
    assert host.dpkg_list() == before, "downloaded installed something"
    again = run_module(host, {"state": "downloaded", **args}, tmp_path)
    assert again["changed"] is False and not any(d["fetched"] for d in again["downloaded"]), again["msg"]

    # Inside the window: the mirror unreachable (a proxy nobody listens on), the install reads the cache.
    proxy = host.root / "etc/apt/apt.conf.d/95offline"
    proxy.write_text(f'Acquire::http::Proxy "http://127.0.0.1:{CLOSED_PORT}";\n')
    try:
        patch = run_module(host, {"state": "patched", **args}, tmp_path)
    finally:
        proxy.unlink()
    assert not patch.get("failed"), patch["msg"]
    after = host.dpkg_list()
    assert {c["component"]: c["after"] for c in patch["changes"]} == {
        n: after.get(n) for n in set(before) | set(after) if before.get(n) != after.get(n)
    }
    assert selected <= names(patch["changes"])
    rerun = run_module(host, {"state": "patched", **args}, tmp_path)
    assert rerun["changed"] is False and rerun["changes"] == [], rerun["msg"]

    back = run_module(host, {"state": "rolled_back", "rollback": patch["rollback"], "update_cache": False}, tmp_path)
    assert not back.get("failed"), back["msg"]
    assert host.dpkg_list() == before


def test_interrupted_dpkg_is_detected_before_anything_is_planned(host, tmp_path):
    """A dpkg killed mid-unpack leaves its journal in /var/lib/dpkg/updates/ with the package half-installed:
    scan and check mode say so, and patched refuses with changed=false and no fake change."""
    dpkg = host.root / "var/lib/dpkg"
    saved = tmp_path / "status"
    shutil.copy2(dpkg / "status", saved)
    victim = sorted(host.upgradable())[0]
    paragraph = host.sh("dpkg-query", "-s", victim).stdout
    journal = "".join(
        "Status: install reinstreq half-installed\n" if line.startswith("Status:") else line + "\n"
        for line in paragraph.splitlines()
    )
    (dpkg / "updates" / "0000").write_text(journal.rstrip("\n") + "\n\n")
    try:
        assert "dpkg was interrupted" in host.sh("apt-get", "check", check=False).stderr
        scan = run_module(host, {"state": "scanned", "apt_changelogs": False, "update_cache": False}, tmp_path)
        check = run_module(
            host, {"state": "patched", "apt_changelogs": False, "update_cache": False}, tmp_path, check=True
        )
        real = run_module(host, {"state": "patched", "apt_changelogs": False, "update_cache": False}, tmp_path)
        for result in (scan, check, real):
            assert victim in str(result.get("msg", "")) + str(result.get("warnings", "")) + str(
                result.get("broken", "")
            ), result.get("msg")
        assert check.get("changes", []) == [] or check.get("failed")
        assert real.get("failed") is True and real["changed"] is False and real.get("changes", []) == []
        assert "dpkg" in real["msg"]
    finally:
        for leftover in (dpkg / "updates").iterdir():
            leftover.unlink()
        shutil.copy2(saved, dpkg / "status")
