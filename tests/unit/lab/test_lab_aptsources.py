"""Mirror discovery from apt sources (deb822 and one-line), without touching the machine's /etc/apt."""

from __future__ import annotations

import pytest

from lab import aptsources

DEB822 = """\
Types: deb
# a comment between fields
URIs: http://mirror.example.test/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.test/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example.test/debian
Suites: bookworm
Components: main
"""

ONE_LINE = """\
# comment
deb-src http://src.example.test/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://one.example.test/debian bookworm main contrib # trailing
deb https://third.example.test/apt cloud-sdk main
"""


def test_deb822_paragraphs_and_disabled():
    sources = aptsources.parse_deb822(DEB822, "x.sources")
    assert [s.uris[0] for s in sources] == [
        "http://mirror.example.test/debian",
        "http://mirror.example.test/debian-security",
    ]
    assert sources[0].suites == ("bookworm", "bookworm-updates")
    assert sources[0].option("Signed-By") == "/usr/share/keyrings/debian-archive-keyring.gpg"


def test_one_line_options_and_comments():
    sources = aptsources.parse_one_line(ONE_LINE)
    assert [s.types[0] for s in sources] == ["deb-src", "deb", "deb"]
    assert sources[1].option("signed-by") == "/k.gpg"
    assert sources[1].components == ("main", "contrib")


@pytest.mark.parametrize(
    ("codename", "expected"),
    [("bookworm", "http://mirror.example.test/debian"), (None, "http://mirror.example.test/debian"), ("trixie", None)],
)
def test_pick_mirror_prefers_the_release_suite(codename, expected):
    sources = aptsources.parse_deb822(DEB822)
    mirror = aptsources.pick_mirror(sources, codename)
    assert (mirror.uri if mirror else None) == expected
    if mirror:
        assert mirror.suite == "bookworm"
        assert mirror.keyring.endswith("debian-archive-keyring.gpg")


def test_pick_mirror_skips_deb_src_and_third_party():
    sources = aptsources.parse_one_line(ONE_LINE)
    mirror = aptsources.pick_mirror(sources, "bookworm")
    assert mirror.uri == "http://one.example.test/debian"
    assert aptsources.pick_mirror(aptsources.parse_one_line("deb http://x.test/apt nodistro main\n")) is None


def test_read_sources_only_reads_list_and_sources_files(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text("deb http://a.test/debian bookworm main\n")
    (tmp_path / "sources.list.d" / "b.sources").write_text(DEB822)
    (tmp_path / "sources.list.d" / "c.list.disabled").write_text("deb http://c.test/debian bookworm main\n")
    uris = [s.uris[0] for s in aptsources.read_sources(tmp_path)]
    assert uris[0] == "http://a.test/debian"
    assert "http://c.test/debian" not in uris
    assert len(uris) == 3


def test_os_codename(tmp_path):
    path = tmp_path / "os-release"
    path.write_text('NAME="Debian GNU/Linux"\nVERSION_CODENAME=bookworm\n')
    assert aptsources.os_codename(path) == "bookworm"
    assert aptsources.os_codename(tmp_path / "missing") is None
