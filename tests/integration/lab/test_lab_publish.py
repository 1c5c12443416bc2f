"""`python -m lab publish|unpublish` on the running lab: the version reaches this lab's hosts over its own
repository server, and never the shared cache other labs on the machine were started from."""

from __future__ import annotations

import gzip
import re
import urllib.request
from pathlib import Path

import pytest
from lab_testlib import lab_cli

from lab import repos
from lab.config import Settings

pytestmark = pytest.mark.lab
PACKAGE = "lab-ntp"


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # the lab's own server on 127.0.0.1
        return response.read()


def _served_versions(repo_url: str) -> set[str]:
    """Versions of PACKAGE in every apt suite and in the rpm-md primary metadata the lab serves."""
    found = set()
    for suite in ("lab", "lab-updates", "lab-security"):
        release = _fetch(f"{repo_url}apt/dists/{suite}/Release").decode()
        for path in set(re.findall(r" (main/binary-[^/\s]+/Packages)\n", release)):
            text = _fetch(f"{repo_url}apt/dists/{suite}/{path}").decode()
            found |= set(re.findall(rf"Package: {PACKAGE}\n(?:.+\n)*?Version: (\S+)", text))
    repomd = _fetch(f"{repo_url}rpm/repodata/repomd.xml").decode()
    primary = re.search(r'href="(repodata/[^"]*primary\.xml\.gz)"', repomd).group(1)
    text = gzip.decompress(_fetch(f"{repo_url}rpm/{primary}")).decode()
    found |= {f"{v}-{r}" for v, r in re.findall(rf'href="Packages/{PACKAGE}-([\d.]+)-(\d+)\.noarch\.rpm"', text)}
    return found


def _apt_candidate(lab, host: str) -> str:
    proc = lab.in_root(host, "apt-get", "update")
    assert proc.returncode == 0, proc.stderr
    policy = lab.in_root(host, "apt-cache", "policy", PACKAGE).stdout
    return re.search(r"Candidate: (\S+)", policy).group(1)


def test_publish_reaches_this_lab_only_and_unpublish_restores(lab):
    repo_url = lab.info["repo_url"]
    assert repo_url, "the lab serves no package repositories"
    host = lab.first("apt")
    before = _served_versions(repo_url)
    candidate = _apt_candidate(lab, host)
    shared = repos.build(Settings.resolve().cache_dir).serve_dir  # what labs before per-lab copies served
    try:
        version = lab_cli("publish", PACKAGE, "--type", "security", "--severity", "high", "--cves", "CVE-2026-49001")
        version = version.stdout.strip()
        assert version not in before
        assert _served_versions(repo_url) == before | {version}
        assert _apt_candidate(lab, host) == version
        status = lab_cli("status").stdout
        assert f"published at runtime: {PACKAGE} {version} (security)" in status
        again = lab_cli("publish", PACKAGE, version, check=False)
        assert again.returncode == 2 and f"is not newer than {version}" in again.stderr
        # labs still running older lab code publish into the shared dir: only look for our package
        assert not list(Path(shared).rglob(f"{PACKAGE}[-_]{version}*"))
    finally:
        out = lab_cli("unpublish").stdout
    assert f"{PACKAGE} {version}" in out
    assert _served_versions(repo_url) == before
    assert _apt_candidate(lab, host) == candidate
    assert "published at runtime" not in lab_cli("status").stdout
