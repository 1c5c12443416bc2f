"""Debian changelogs as an advisory source, over real Debian 12 changelog text (fixtures/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages import changelogs

FIXTURES = Path(__file__).with_name("fixtures")
OPENSSL = (FIXTURES / "debian-12.openssl.changelog").read_text(encoding="utf-8")
GLIBC = (FIXTURES / "debian-12.glibc.changelog").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("3.0.19-1~deb12u2", "3.0.19-1~deb12u1", 1),
        ("3.0.19-1~deb12u1", "3.0.19-1", -1),  # ~ sorts before everything, even the end
        ("1:1.2.13.dfsg-1", "1.2.13.dfsg-2", 1),  # the epoch wins
        ("5.2.15-2+b8", "5.2.15-2", 1),
        ("2.36-9+deb12u10", "2.36-9+deb12u9", 1),  # numerically, not as text
        ("1.0", "1.0-0", 0),
        ("1.0a", "1.0+", -1),  # letters sort before non-letters
        ("0.12.21-10", "0.12.21-10", 0),
    ],
)
def test_dpkg_version_order(a, b, expected):
    assert changelogs.compare(a, b) == expected
    assert changelogs.compare(b, a) == -expected


def test_source_version_is_binnmu_aware():
    assert changelogs.source_version("5.2.15-2+b8") == "5.2.15-2"
    assert changelogs.source_version("1:2.5.1-4+b2") == "1:2.5.1-4"
    assert changelogs.source_version("3.0.19-1~deb12u2") == "3.0.19-1~deb12u2"
    assert changelogs.source_version("2.36-9+b1", stated="2.36-9") == "2.36-9"


def test_reading_stops_at_the_installed_source_version():
    ids, severity = changelogs.advisories(OPENSSL, "3.0.17-1~deb12u2")
    assert ids[:2] == ["CVE-2026-28387", "CVE-2026-28389"]
    assert {"CVE-2025-9230", "CVE-2025-9232", "CVE-2025-15467"} <= set(ids)
    assert "CVE-2024-13176" not in ids  # 3.0.16: already installed
    assert len(ids) == 15 and severity == "medium"


def test_binnmu_installed_version_stops_at_its_source_entry():
    """A binNMU (+b1) never appears in the source changelog: reading must still stop there, not read the history."""
    ids, _severity = changelogs.advisories(OPENSSL, changelogs.source_version("3.0.17-1~deb12u2+b1"))
    assert "CVE-2024-13176" not in ids and "CVE-2024-6119" not in ids
    assert len(ids) == 15


def test_installed_version_without_an_entry_stops_at_the_first_older_entry():
    # 3.0.16-1~deb12u1+local1 was never uploaded: 3.0.16-1~deb12u1 is older, so reading stops there.
    ids, _severity = changelogs.advisories(OPENSSL, "3.0.16-1~deb12u1+local1")
    assert "CVE-2024-13176" not in ids and "CVE-2025-9230" in ids


def test_glibc_entries_newer_than_installed():
    ids, _severity = changelogs.advisories(GLIBC, "2.36-9+deb12u12")
    expected = [i for _s, v, _u, body in changelogs.entries(GLIBC)[:2] for i in changelogs.advisory_ids(body)]
    assert ids == list(dict.fromkeys(expected))


def test_advisory_ids_recognised():
    text = (
        "  * Fix command injection in HgDriver/GitDriver (GHSA-x7cr-6qr6-2hh6 / CVE-2022-24828).\n"
        "  * Security update (DSA 5999-1, DLA-3008-1, ELA-1234-1, USN-6543-1, DTSA-12-1).\n"
        "  * Backport of ELSA-2026:0104; not an id: GHSA-aaaa-bbbb-cccc, CVE-26-1.\n"
    )
    assert changelogs.advisory_ids(text) == [
        "GHSA-x7cr-6qr6-2hh6",
        "CVE-2022-24828",
        "DSA-5999-1",
        "DLA-3008-1",
        "ELA-1234-1",
        "USN-6543-1",
        "DTSA-12-1",
        "ELSA-2026:0104",
    ]


def test_split_keys_by_source_name():
    text = OPENSSL + "\n" + GLIBC
    logs = changelogs.split(text)
    assert sorted(logs) == ["glibc", "openssl"]
    assert logs["glibc"].startswith("glibc (2.36-9+deb12u14)")
