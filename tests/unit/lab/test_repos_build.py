"""lab.repos.build for real on a small manifest: .debs, .rpms, apt suites, rpm-md + updateinfo, publish, cache."""

from __future__ import annotations

import contextlib
import gzip
import multiprocessing
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from queue import Empty

import pytest
from repo_builds import build_small, require_tools

from lab import repos

SMALL = """
format: 1
maintainer: Lab <lab@example.invalid>
packages:
  - name: lab-a
    summary: A
    size: 4K
    versions:
      - {version: 1.0-1, date: 2026-01-01, changes: [first]}
      - {version: 1.1-1, date: 2026-02-02, type: security, advisory: ELSA-2026:0001,
         severity: Critical, cves: [CVE-2026-1234, CVE-2026-1235], changes: [fix overflow]}
      - {version: 1.2-1, date: 2026-03-03, type: bugfix, advisory: ELBA-2026:0002, changes: [fix crash]}
  - name: kernel-lab
    summary: K
    size: 20K
    reboot: true
    versions:
      - {version: 1.0-1, date: 2026-01-01, changes: [first]}
      - {version: 1.1-1, date: 2026-02-02, type: security, advisory: ELSA-2026:0003,
         severity: Low, cves: [CVE-2026-2000], changes: [fix leak], depends: [lab-a >= 1.1]}
"""
RPM_NS = {"c": "http://linux.duke.edu/metadata/common", "r": "http://linux.duke.edu/metadata/repo"}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return build_small(tmp_path_factory, "repos", SMALL)


def _apt_versions(serve: Path, suite: str) -> set[tuple[str, str]]:
    found = set()
    for packages in (serve / "apt/dists" / suite / "main").glob("binary-*/Packages"):
        for stanza in packages.read_text().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line)
            if "Package" in fields:
                found.add((fields["Package"], fields["Version"]))
    return found


def _repodata(rpm_dir: Path, kind: str) -> ET.Element:
    repomd = ET.parse(rpm_dir / "repodata/repomd.xml").getroot()
    for data in repomd.findall("r:data", RPM_NS):
        if data.get("type") == kind:
            href = data.find("r:location", RPM_NS).get("href")
            return ET.fromstring(gzip.decompress((rpm_dir / href).read_bytes()))
    raise AssertionError(f"no {kind} in repomd.xml")


def _rpm_versions(rpm_dir: Path) -> set[tuple[str, str]]:
    primary = _repodata(rpm_dir, "primary")
    out = set()
    for package in primary.findall("c:package", RPM_NS):
        ver = package.find("c:version", RPM_NS)
        out.add((package.findtext("c:name", namespaces=RPM_NS), f"{ver.get('ver')}-{ver.get('rel')}"))
    return out


def test_apt_suites_split_baseline_security_and_updates(small):
    rs, _ = small
    assert _apt_versions(rs.serve_dir, "lab") == {("lab-a", "1.0-1"), ("kernel-lab", "1.0-1")}
    assert _apt_versions(rs.serve_dir, "lab-security") == {("lab-a", "1.1-1"), ("kernel-lab", "1.1-1")}
    assert _apt_versions(rs.serve_dir, "lab-updates") == {("lab-a", "1.2-1")}
    release = (rs.serve_dir / "apt/dists/lab-security/Release").read_text()
    assert "Suite: lab-security\n" in release and "Label: Everylayer-Security\n" in release
    assert "Label: Everylayer\n" in (rs.serve_dir / "apt/dists/lab-updates/Release").read_text()
    changelog = rs.serve_dir / "apt/changelogs/main/l/lab-a/lab-a_1.1-1_changelog"
    assert "CVE-2026-1234" in changelog.read_text()


def test_rpm_repo_lists_versions_and_advisories(small):
    rs, _ = small
    rpm_dir = rs.serve_dir / "rpm"
    assert _rpm_versions(rpm_dir) >= {
        ("lab-a", "1.0-1"),
        ("lab-a", "1.1-1"),
        ("lab-a", "1.2-1"),
        ("kernel-lab", "1.0-1"),
        ("kernel-lab", "1.1-1"),
        ("lab-release", "9.4-1"),
    }
    updates = {u.findtext("id"): u for u in _repodata(rpm_dir, "updateinfo").findall("update")}
    assert set(updates) == {"ELSA-2026:0001", "ELBA-2026:0002", "ELSA-2026:0003"}
    assert updates["ELSA-2026:0001"].get("type") == "security"
    assert updates["ELSA-2026:0001"].findtext("severity") == "Critical"
    assert {r.get("id") for r in updates["ELSA-2026:0001"].iter("reference")} == {"CVE-2026-1234", "CVE-2026-1235"}
    assert updates["ELBA-2026:0002"].get("type") == "bugfix"


def test_build_is_cached_and_pristine_matches(small):
    rs, manifest = small
    again = repos.build(rs.root.parent.parent, manifest)
    assert again.root == rs.root and again.build_seconds == 0.0
    assert (rs.pristine_dir / "apt/pool/lab-security/lab-a/lab-a_1.1-1_all.deb").is_file()


def test_broken_repo_differs_from_the_real_one(small):
    rs, _ = small
    good = (rs.serve_dir / "apt/dists/lab/main").glob("binary-*/Packages")
    bad = (rs.serve_dir / "broken/apt/dists/lab/main").glob("binary-*/Packages")
    assert next(good).read_bytes() != next(bad).read_bytes()
    broken_md = (rs.serve_dir / "broken/rpm/repodata/repomd.xml").read_text()
    assert "corrupted-primary.xml.gz" in broken_md
    assert broken_md != (rs.serve_dir / "rpm/repodata/repomd.xml").read_text()


def test_publish_then_reset(small):
    rs, _ = small
    repos.publish(rs, "lab-a", "1.3-1", type="security", severity="Moderate", cves=("CVE-2026-3000",))
    try:
        assert ("lab-a", "1.3-1") in _apt_versions(rs.serve_dir, "lab-security")
        assert ("lab-a", "1.3-1") in _rpm_versions(rs.serve_dir / "rpm")
        ids = {u.findtext("id") for u in _repodata(rs.serve_dir / "rpm", "updateinfo").findall("update")}
        assert "ELSA-2026:9001" in ids and "ELSA-2026:0001" in ids
        assert "lab-a (1.3-1)" in (rs.serve_dir / "apt/changelogs/main/l/lab-a/lab-a_1.3-1_changelog").read_text()
        with pytest.raises(repos.ManifestError, match="not newer"):
            repos.publish(rs, "lab-a", "1.2-5")
        with pytest.raises(repos.ManifestError, match="needs severity"):
            repos.publish(rs, "lab-a", "1.4-1", type="security")
        # pristine is untouched: publishing never writes through the hard links
        assert ("lab-a", "1.3-1") not in _rpm_versions(rs.pristine_dir / "rpm")
    finally:
        repos.reset(rs)
    assert ("lab-a", "1.3-1") not in _apt_versions(rs.serve_dir, "lab-security")
    assert rs.published() == []


def _build_in_child(cache: str, manifest: str, queue) -> None:
    rs = repos.build(Path(cache), Path(manifest))
    queue.put((str(rs.root), rs.build_seconds > 0))


def test_two_concurrent_builders_build_once(tmp_path):
    require_tools()
    manifest = tmp_path / "manifest.yml"
    manifest.write_text(SMALL.replace("size: 20K", "size: 8K"))
    # spawn, not fork: pytest (and xdist) run threads, and a forked child may inherit a lock one of them held
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_build_in_child, args=(str(tmp_path / "c"), str(manifest), queue)) for _ in range(2)]
    for proc in procs:
        proc.start()
    results = []
    with contextlib.suppress(Empty):  # read before join: a child exits only once its result is read
        results += [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    assert len(results) == 2
    assert results[0][0] == results[1][0]
    assert sorted(built for _, built in results) == [False, True]
    leftovers = [p.name for p in (tmp_path / "c/repos").iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_prune_removes_only_stale_unused_entries(tmp_path):
    from lab.repos.build import prune

    for name in ("apt-old", "apt-new", "dnf-old", ".tmp-apt-x"):
        (tmp_path / name).mkdir()
    (tmp_path / ".apt-old.lock").touch()
    assert prune(tmp_path, keep="apt-new", prefix="apt-") == ["apt-old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-apt-x", "apt-new", "dnf-old"]
    # an entry named by a mount or a running process (e.g. a lab host's lowerdir) is in use: kept
    (tmp_path / "apt-busy").mkdir()
    # Popen returns once the child's exec has started, but /proc/<pid>/cmdline stays empty until the kernel has
    # finished loading the new program: wait for the child to say it runs, or prune may not see it yet (flaky).
    code = "import time; print('ready', flush=True); time.sleep(30)"
    sleeper = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "apt-busy")], stdout=subprocess.PIPE)
    try:
        assert sleeper.stdout.readline() == b"ready\n"
        assert prune(tmp_path, keep="apt-new", prefix="apt-") == []
        assert (tmp_path / "apt-busy").is_dir()
    finally:
        sleeper.kill()
        sleeper.wait()
        sleeper.stdout.close()
