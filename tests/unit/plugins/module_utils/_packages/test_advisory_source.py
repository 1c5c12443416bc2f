"""The offline advisory source: Debian Security Tracker JSON and real OSV records (fixtures/SOURCES.md)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages import advisory_source, apt
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError

ADVISORIES = Path(__file__).with_name("fixtures") / "advisories"
BOOKWORM = {"id": "debian", "version_id": "12", "codename": "bookworm"}


def test_tracker_fixes_between_installed_and_candidate_source_versions():
    index = advisory_source.load(str(ADVISORIES / "tracker-slice.json"), host=BOOKWORM)
    ids, severity = index.lookup("openssl", "3.0.17-1~deb12u2", "3.0.19-1~deb12u2")
    assert ids == ["CVE-2025-9230", "CVE-2026-28387"] and severity == "high"
    assert index.lookup("openssl", "3.0.18-1~deb12u1", "3.0.19-1~deb12u2") == (["CVE-2026-28387"], "medium")
    assert index.lookup("zlib", "1:1.2.13.dfsg-1", "1:1.2.13.dfsg-1+deb12u1") == ([], None)  # fixed "0": not affected
    assert index.covers("bash") and index.lookup("bash", "5.2.15-2", "5.2.15-3") == ([], None)  # complete data


def test_tracker_needs_the_codename():
    with pytest.raises(PackagesError, match="release codename is unknown"):
        advisory_source.load(str(ADVISORIES / "tracker-slice.json"), host={"id": "debian"})


def test_osv_debian_record_by_source_and_ecosystem():
    stretch = {"id": "debian", "version_id": "9", "codename": "stretch"}
    index = advisory_source.load(str(ADVISORIES / "DLA-3008-1.json"), host=stretch)
    assert index.lookup("openssl", "1.1.0l-1~deb9u5", "1.1.0l-1~deb9u6") == (["DLA-3008-1", "CVE-2022-1292"], None)
    assert index.lookup("openssl", "1.1.0l-1~deb9u6", "1.1.0l-1~deb9u7") == ([], None)
    assert not index.covers("zlib")  # OSV records speak only for the packages they name
    other_release = advisory_source.load(str(ADVISORIES / "DLA-3008-1.json"), host=BOOKWORM)
    assert other_release.lookup("openssl", "1.1.0l-1~deb9u5", "1.1.0l-1~deb9u6") == ([], None)


def test_osv_list_and_severity_word(tmp_path):
    records = [json.loads((ADVISORIES / name).read_text()) for name in ("DSA-3029-1.json", "DLA-3008-1.json")]
    ubuntu = json.loads((ADVISORIES / "UBUNTU-CVE-2025-38094.json").read_text())
    ubuntu["affected"][0]["ranges"][0]["events"].append({"fixed": "3.13.0-210.260"})
    path = tmp_path / "osv.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"vulns": [*records, ubuntu]}).encode()))
    wheezy = advisory_source.load(str(path), host={"id": "debian", "version_id": "7"})
    assert wheezy.lookup("nginx", "1.2.1-2.2+wheezy2", "1.2.1-2.2+wheezy3") == (["DSA-3029-1", "CVE-2014-3616"], None)
    trusty = advisory_source.load(str(path), host={"id": "ubuntu", "version_id": "14.04"})
    assert trusty.lookup("linux", "3.13.0-206.257", "3.13.0-210.260") == (["CVE-2025-38094"], "medium")


@pytest.mark.parametrize(
    ("content", "needle"),
    [(b"{not json", "is not JSON"), (b'[{"id": "X"}]', "not an OSV record"), (b'{"openssl": []}', "not a mapping")],
)
def test_bad_files_are_clear_errors(tmp_path, content, needle):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(PackagesError, match=needle):
        advisory_source.load(str(path), host=BOOKWORM)


def test_missing_file_and_foreign_scheme():
    with pytest.raises(PackagesError, match="does not exist on the host"):
        advisory_source.load("/nonexistent/tracker.json", host=BOOKWORM)
    with pytest.raises(PackagesError, match="only http"):
        advisory_source.load("ftp://127.0.0.1/tracker.json", host=BOOKWORM)


def test_apt_fills_unreadable_changelogs_from_the_advisory_source(monkeypatch):
    from test_apt import UNREACHABLE_ERR, debian_backend, fixture  # noqa: PLC0415

    monkeypatch.setattr(
        apt.AptBackend,
        "_advisory_index",
        lambda self, params: advisory_source.load(params["advisory_source"], host=BOOKWORM),
    )
    stdout = fixture("debian-12.apt-get-changelog-unreachable.stdout")
    b = debian_backend((100, stdout, UNREACHABLE_ERR), {"advisory_source": str(ADVISORIES / "tracker-slice.json")})
    entries = {e["name"]: e for e in b.updates(b.installed())}
    libssl3 = entries["libssl3"]
    assert (libssl3["advisories"], libssl3["severity"]) == (["CVE-2025-9230", "CVE-2026-28387"], "high")
    assert libssl3["advisory_data"] == "advisory_source" and libssl3["security"] is True
    assert entries["zlib1g"]["advisory_data"] == "advisory_source" and entries["zlib1g"]["advisories"] == []
    assert any("taken from advisory_source" in w and "openssl" in w for w in b.warnings)


def test_url_is_fetched_from_the_host_and_http_errors_are_clear():
    import functools  # noqa: PLC0415
    import http.server  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from ansible.module_utils.basic import AnsibleModule  # noqa: PLC0415
    from ansible.module_utils.testing import patch_module_args  # noqa: PLC0415

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ADVISORIES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with patch_module_args({}):
            module = AnsibleModule(argument_spec={})
        url = f"http://127.0.0.1:{server.server_port}/tracker-slice.json"
        index = advisory_source.load(url, module, BOOKWORM, 5)
        assert index.lookup("openssl", "3.0.18-1~deb12u1", "3.0.19-1~deb12u2") == (["CVE-2026-28387"], "medium")
        with pytest.raises(PackagesError, match="could not be read: HTTP 404"):
            advisory_source.load(url + ".missing", module, BOOKWORM, 5)
    finally:
        server.shutdown()
        server.server_close()
