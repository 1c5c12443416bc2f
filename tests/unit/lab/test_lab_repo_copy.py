"""Per-lab repository copies (lab/repos/labcopy.py) and `python -m lab publish|unpublish` (lab/publish.py).

Two lab state dirs share one small real build (dpkg-deb, rpmbuild, createrepo_c): a publish into one lab
shows in its own serve dir only, never in the other lab's nor in the cache; unpublish makes it pristine again.
"""

from __future__ import annotations

import email.utils
import errno
import functools
import gzip
import hashlib
import http.server
import os
import re
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from repo_builds import build_small

from lab import publish, repos, state
from lab.config import LabError, Settings
from lab.repos import labcopy

REPO = Path(__file__).resolve().parents[3]

SMALL = """
format: 1
maintainer: Lab <lab@example.invalid>
packages:
  - name: lab-a
    summary: A
    size: 4K
    versions:
      - {version: 1.0-1, date: 2026-01-01, changes: [first]}
      - {version: 1.1-1, date: 2026-02-02, type: bugfix, advisory: ELBA-2026:0001, changes: [fix crash]}
"""


@pytest.fixture(scope="module")
def cache_rs(tmp_path_factory):
    return build_small(tmp_path_factory, "repocopy", SMALL)[0]


def _apt_versions(serve: Path) -> set[tuple[str, str]]:
    found = set()
    for packages in (serve / "apt/dists").glob("*/main/binary-*/Packages"):
        for stanza in packages.read_text().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line)
            if "Package" in fields:
                found.add((fields["Package"], fields["Version"]))
    return found


def _rpm_names(serve: Path) -> set[str]:
    """Package files named in the rpm-md primary metadata, plus those present in Packages/."""
    names = {p.name for p in (serve / "rpm/Packages").glob("*.rpm")}
    for primary in (serve / "rpm/repodata").glob("*primary.xml.gz"):
        names |= set(re.findall(r'href="Packages/([^"]+)"', gzip.decompress(primary.read_bytes()).decode()))
    return names


def _snapshot(root: Path) -> dict[str, tuple]:
    """Every file under root: inode, size, mtime and content hash (a write through a hard link changes it)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[str(path.relative_to(root))] = (st.st_ino, st.st_size, st.st_mtime_ns, digest)
    return out


def _contents(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _pristine(rs) -> dict[str, bytes]:
    return {k: v for k, v in _contents(rs.pristine_dir).items() if k != ".complete"}


def _same_but_dates(copy: dict[str, bytes], pristine: dict[str, bytes]) -> bool:
    """Equal trees, except the Date line of Release files (a fresh copy is dated when it is made)."""
    undate = re.compile(rb"^Date: .*$", re.MULTILINE)
    return copy.keys() == pristine.keys() and all(
        undate.sub(b"", copy[k]) == undate.sub(b"", pristine[k]) if k.endswith("Release") else copy[k] == pristine[k]
        for k in copy
    )


def test_two_labs_one_cache_publish_stays_in_its_lab(cache_rs, tmp_path):
    lab_a, lab_b = tmp_path / "lab-a", tmp_path / "lab-b"
    rs_a, made_a = labcopy.ensure(cache_rs, lab_a)
    rs_b, made_b = labcopy.ensure(cache_rs, lab_b)
    assert made_a and made_b
    assert rs_a.serve_dir == lab_a / "repos" / "serve" != rs_b.serve_dir
    deb = "apt/pool/lab-updates/lab-a/lab-a_1.1-1_all.deb"
    # packages are hard links into the cache (cheap copy), metadata files are the lab's own
    assert (rs_a.serve_dir / deb).stat().st_ino == (cache_rs.pristine_dir / deb).stat().st_ino
    release = "apt/dists/lab/Release"
    assert (rs_a.serve_dir / release).stat().st_ino != (cache_rs.pristine_dir / release).stat().st_ino
    before = _snapshot(cache_rs.root)

    repos.publish(rs_a, "lab-a", "2.0-1", type="security", severity="Low", cves=("CVE-2026-41000",))
    assert ("lab-a", "2.0-1") in _apt_versions(rs_a.serve_dir)
    assert "lab-a-2.0-1.noarch.rpm" in _rpm_names(rs_a.serve_dir)
    assert [p["version"] for p in rs_a.published()] == ["2.0-1"]
    for other in (rs_b.serve_dir, cache_rs.serve_dir, cache_rs.pristine_dir):
        assert ("lab-a", "2.0-1") not in _apt_versions(other), other
        assert "lab-a-2.0-1.noarch.rpm" not in _rpm_names(other), other
    assert rs_b.published() == [] and cache_rs.published() == []
    assert _snapshot(cache_rs.root) == before, "publish changed a file of the shared cache"

    # a later `lab up` reuses the copy as it is: the published version stays
    again, made = labcopy.ensure(cache_rs, lab_a)
    assert not made and ("lab-a", "2.0-1") in _apt_versions(again.serve_dir)

    dropped = labcopy.reset(cache_rs, lab_a)
    assert [(p["package"], p["version"]) for p in dropped] == [("lab-a", "2.0-1")]
    assert _same_but_dates(_contents(rs_a.serve_dir), _pristine(cache_rs))
    assert _same_but_dates(_contents(rs_b.serve_dir), _pristine(cache_rs))
    assert _snapshot(cache_rs.root) == before


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_unpublish_is_seen_by_clients_revalidating(cache_rs, tmp_path):
    """apt revalidates Release with If-Modified-Since: after unpublish the server must not answer 304."""
    rs, _ = labcopy.ensure(cache_rs, tmp_path)
    handler = functools.partial(_Quiet, directory=str(rs.serve_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/apt/dists/lab-updates/Release"
    try:
        repos.publish(rs, "lab-a", "2.0-1")
        with urllib.request.urlopen(url, timeout=10) as response:
            published, stamp = response.read(), response.headers["Last-Modified"]
        labcopy.reset(cache_rs, tmp_path)
        request = urllib.request.Request(url, headers={"If-Modified-Since": stamp})
        with urllib.request.urlopen(request, timeout=10) as response:  # a 304 raises HTTPError
            assert response.status == 200
            body = response.read()
    finally:
        server.shutdown()
        server.server_close()
    pristine = (cache_rs.pristine_dir / "apt/dists/lab-updates/Release").read_text()
    assert _undated(body.decode()) == _undated(pristine) != _undated(published.decode())
    # apt ignores a Release dated before the one it holds: the pristine copy is dated now
    assert _date(body.decode()) > _date(published.decode()) >= _date(pristine)


def _undated(release: str) -> str:
    return re.sub(r"^Date: .*$", "", release, flags=re.MULTILINE)


def _date(release: str):
    return email.utils.parsedate_to_datetime(re.search(r"^Date: (.*)$", release, re.MULTILINE).group(1))


def test_reset_metadata_is_in_a_later_second(cache_rs, tmp_path):
    """http.server compares whole seconds: metadata of the new copy must be newer than what it replaces."""
    rs, _ = labcopy.ensure(cache_rs, tmp_path)
    release = rs.serve_dir / "apt/dists/lab/Release"
    release.touch()  # as if a publish had just rewritten it
    made = release.stat().st_mtime_ns // 1_000_000_000
    labcopy.reset(cache_rs, tmp_path)
    assert release.stat().st_mtime_ns // 1_000_000_000 > made


def test_copy_of_another_build_is_replaced(cache_rs, tmp_path):
    rs, _ = labcopy.ensure(cache_rs, tmp_path)
    (rs.serve_dir / "stale-file").write_text("from an older build\n")
    (tmp_path / "repos" / "key").write_text("0123456789abcdef\n")
    with pytest.raises(ValueError, match="is of build 0123456789abcdef"):
        labcopy.attach(cache_rs, tmp_path)
    rs, made = labcopy.ensure(cache_rs, tmp_path)
    assert made and not (rs.serve_dir / "stale-file").exists()
    assert labcopy.attach(cache_rs, tmp_path).serve_dir == rs.serve_dir


def test_copy_across_filesystems_copies_bytes(cache_rs, tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(labcopy.os, "link", no_links)
    rs, _ = labcopy.ensure(cache_rs, tmp_path)
    deb = "apt/pool/lab/lab-a/lab-a_1.0-1_all.deb"
    assert (rs.serve_dir / deb).stat().st_ino != (cache_rs.pristine_dir / deb).stat().st_ino
    assert _same_but_dates(_contents(rs.serve_dir), _pristine(cache_rs))


def test_attach_without_copy(cache_rs, tmp_path):
    with pytest.raises(FileNotFoundError, match="no repository copy"):
        labcopy.attach(cache_rs, tmp_path)


# --- lab/publish.py and the CLI -------------------------------------------------------------------


def _fake_lab(state_dir: Path, serve_dir: Path | None) -> Settings:
    """A state dir as `lab up` leaves it (repository server serving serve_dir), without hosts."""
    data = state.empty_state()
    data["lab"] = {"repos": True, "serve_dir": str(serve_dir)} if serve_dir else {}
    state_dir.mkdir(parents=True, exist_ok=True)
    state.save(state_dir / "state.json", data)
    return Settings.resolve(str(state_dir), 2290, environ={"HOME": str(state_dir)})


def test_publish_and_unpublish_this_lab(cache_rs, tmp_path):
    labcopy.ensure(cache_rs, tmp_path / "a")
    labcopy.ensure(cache_rs, tmp_path / "b")
    settings = _fake_lab(tmp_path / "a", labcopy.serve_path(tmp_path / "a"))
    assert publish.publish(settings, "lab-a", rs=cache_rs) == "2.0-1"
    version = publish.publish(
        settings, "lab-a", type="security", severity="high", cves=("CVE-2026-41001",), rs=cache_rs
    )
    assert version == "3.0-1"
    assert [(p["version"], p["severity"]) for p in publish.published(settings)] == [
        ("2.0-1", None),
        ("3.0-1", "Important"),
    ]
    assert ("lab-a", "3.0-1") in _apt_versions(labcopy.serve_path(tmp_path / "a"))
    assert ("lab-a", "3.0-1") not in _apt_versions(labcopy.serve_path(tmp_path / "b"))
    with pytest.raises(LabError, match="not newer than 3.0-1"):
        publish.publish(settings, "lab-a", "2.5-1", rs=cache_rs)
    with pytest.raises(LabError, match="needs severity and cves"):
        publish.publish(settings, "lab-a", "4.0-1", type="security", rs=cache_rs)
    with pytest.raises(LabError, match="unknown package 'lab-zz': the lab's manifest has lab-a"):
        publish.publish(settings, "lab-zz", rs=cache_rs)
    with pytest.raises(LabError, match="unknown severity 'extreme'"):
        publish.publish(settings, "lab-a", severity="extreme", rs=cache_rs)
    dropped = publish.unpublish(settings, rs=cache_rs)
    assert [p["version"] for p in dropped] == ["2.0-1", "3.0-1"]
    assert publish.published(settings) == []
    assert _same_but_dates(_contents(labcopy.serve_path(tmp_path / "a")), _pristine(cache_rs))


def test_publish_needs_a_lab_serving_its_own_copy(cache_rs, tmp_path):
    down = _fake_lab(tmp_path / "down", None)
    with pytest.raises(LabError, match="serves no package repositories: run python -m lab up"):
        publish.publish(down, "lab-a", rs=cache_rs)
    old = _fake_lab(tmp_path / "old", cache_rs.serve_dir)  # a lab started by the code before per-lab copies
    with pytest.raises(LabError, match="still serves the shared .* run python -m lab up again"):
        publish.unpublish(old, rs=cache_rs)
    nocopy = _fake_lab(tmp_path / "nocopy", labcopy.serve_path(tmp_path / "nocopy"))
    with pytest.raises(LabError, match="no repository copy .* run python -m lab up again"):
        publish.publish(nocopy, "lab-a", rs=cache_rs)


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, EVERYLAYER_LAB_DIR=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env["EVERYLAYER_LAB_PORT_BASE"] = "2290"
    return subprocess.run(
        [sys.executable, "-m", "lab", *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )


def test_cli_errors(tmp_path):
    proc = _cli(tmp_path, "publish", "lab-no-such-package", "9.0-1")
    assert proc.returncode == 2
    assert "lab: error: unknown package 'lab-no-such-package': the lab's manifest has lab-agent" in proc.stderr
    proc = _cli(tmp_path, "publish", "lab-agent", "--severity", "extreme")
    assert proc.returncode == 2 and "unknown severity 'extreme'" in proc.stderr
    proc = _cli(tmp_path, "publish", "lab-agent")
    assert proc.returncode == 2 and "serves no package repositories: run python -m lab up first" in proc.stderr
    proc = _cli(tmp_path, "unpublish")
    assert proc.returncode == 2 and "serves no package repositories" in proc.stderr
    assert proc.stdout == "" and not (tmp_path / "cache").exists(), "an error must not build anything"
    proc = _cli(tmp_path, "publish")
    assert proc.returncode == 2 and "required: package" in proc.stderr
