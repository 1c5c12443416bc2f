# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Advisory feeds read from recorded slices of real public data (tests/fixtures/advisories/SOURCES.md)."""

from __future__ import annotations

import gzip
import os
import zipfile

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.common import GovernanceError
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.feeds import Intel, cvss_score

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "advisories")
KEV = os.path.join(FIX, "kev", "known_exploited_vulnerabilities_slice.json")
EPSS = os.path.join(FIX, "epss", "epss_scores_slice.csv")
GHSA = os.path.join(FIX, "osv", "github", "GHSA-6f9g-cxwr-q5jr.json")
DEBIAN = os.path.join(FIX, "osv", "debian")


def test_cvss_v31_and_v40_vectors_of_a_real_record_are_scored_by_the_library():
    intel = Intel(osv=[GHSA])
    adv = intel.advisories["GHSA-6f9g-cxwr-q5jr"]
    assert [(c["version"], c["base_score"], c["severity"]) for c in adv["cvss"]] == [
        ("3.1", 9.8, "critical"),
        ("4.0", 9.3, "critical"),
    ]
    # the alias finds the record, and the highest score of its vectors is the one that counts
    about = intel.about(["CVE-2024-23897"])
    assert about["cvss"]["base_score"] == 9.8 and about["cvss"]["advisory"] == "GHSA-6f9g-cxwr-q5jr"
    assert about["published"] == "2024-01-24T18:31:02Z"


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),  # RHSA-2024:4546's vector
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
    ],
)
def test_cvss_versions(vector, score):
    assert cvss_score(vector)["base_score"] == score


def test_a_bad_vector_is_an_error_naming_it():
    with pytest.raises(GovernanceError, match=r"CVSS vector 'CVSS:3.1/AV:N/AC:Q"):
        cvss_score("CVSS:3.1/AV:N/AC:Q/PR:N/UI:N/S:U/C:H/I:H/A:H", "osv: x")
    with pytest.raises(GovernanceError, match="not a CVSS v2, v3.x or v4.0 vector"):
        cvss_score("9.8")


def test_osv_directory_zip_dump_and_gzip_agree(tmp_path):
    plain = Intel(osv=[DEBIAN, GHSA])
    dump = tmp_path / "all.zip"
    with zipfile.ZipFile(dump, "w") as archive:
        for name in sorted(os.listdir(DEBIAN)):
            archive.write(os.path.join(DEBIAN, name), name)
        archive.write(GHSA, "GHSA-6f9g-cxwr-q5jr.json")
    gz = tmp_path / "ghsa.json.gz"
    with open(GHSA, "rb") as handle:
        gz.write_bytes(gzip.compress(handle.read()))
    assert (
        set(Intel(osv=[str(dump)]).advisories)
        == set(plain.advisories)
        == {"DLA-3008-1", "DLA-3012-1", "DLA-3022-1", "DSA-3029-1", "GHSA-6f9g-cxwr-q5jr"}
    )
    assert Intel(osv=str(gz)).advisories["GHSA-6f9g-cxwr-q5jr"]["cvss"][0]["base_score"] == 9.8
    # Debian's upstream list names the CVE: the DLA is found by it
    assert plain.names("CVE-2022-1292") >= {"DLA-3008-1", "CVE-2022-1292"}


def test_a_record_without_affected_is_named(tmp_path):
    # osv-linter's own test input lacks 'affected': real data that is not a usable record
    with pytest.raises(GovernanceError, match=r"RHSA-2022_0216.json: entry 0 is not an OSV record"):
        Intel(osv=[os.path.join(FIX, "osv", "redhat", "RHSA-2022_0216.json")])


def test_kev_and_epss_slices():
    intel = Intel(kev=KEV, epss=EPSS)
    assert len(intel.kev) == 35  # the slice's entries; its 'count' says 1404 (the full catalogue)
    assert intel.kev["CVE-2014-0160"]["due_date"] == "2022-05-25"
    assert intel.meta["kev_catalog"] == "2025.08.25"
    assert intel.epss["CVE-2014-1776"] == {"epss": 0.82682, "percentile": 0.99658}
    assert intel.meta["epss_model_version"] == "v2026.06.15"
    about = intel.about(["CVE-2014-0160", "CVE-2014-1776", "CVE-1999-0022"])
    assert [k["cve"] for k in about["kev"]] == ["CVE-2014-0160"]
    assert about["epss"]["cve"] == "CVE-2014-1776"


def test_bad_epss_and_kev_input_names_file_and_line(tmp_path):
    bad = tmp_path / "epss.csv"
    bad.write_text("cve,epss,percentile\nCVE-2014-1776,0.8,0.9\nCVE-2014-0160,high,0.9\n")
    with pytest.raises(GovernanceError, match=r"epss.csv line 3: 'CVE-2014-0160,high,0.9'"):
        Intel(epss=str(bad))
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("#model_version:v1\nCVE-1,0.1,0.2\n")
    with pytest.raises(GovernanceError, match="line 2: the header must name cve, epss, percentile"):
        Intel(epss=str(nohead))
    kev = tmp_path / "kev.json"
    kev.write_text('{"vulnerabilities": [{"cveID": "CVE-2014-0160"}, {"vendorProject": "x"}]}')
    with pytest.raises(GovernanceError, match=r"vulnerabilities\[1\] has no cveID"):
        Intel(kev=str(kev))
    with pytest.raises(GovernanceError, match="does not exist"):
        Intel(kev=str(tmp_path / "missing.json"))


def test_a_feed_that_holds_nothing_is_an_error_not_an_empty_catalogue(tmp_path):
    # an empty download or a wrong directory must not read as "nothing is known to be exploited"
    empty_dir = tmp_path / "osv"
    empty_dir.mkdir()
    (empty_dir / "README.txt").write_text("not a record")
    with pytest.raises(GovernanceError, match=r"osv: .*osv holds no OSV record"):
        Intel(osv=[str(empty_dir)])
    kev = tmp_path / "kev.json"
    kev.write_text('{"catalogVersion": "2026.12.01", "vulnerabilities": []}')
    with pytest.raises(GovernanceError, match=r"kev: .*kev.json: the 'vulnerabilities' list is empty"):
        Intel(kev=str(kev))
    epss = tmp_path / "epss.csv"
    epss.write_text("#model_version:v2025.03.14,score_date:2026-12-01T00:00:00Z\ncve,epss,percentile\n")
    with pytest.raises(GovernanceError, match=r"epss: .*epss.csv has a header and no score"):
        Intel(epss=str(epss))


def test_summary_says_what_was_read():
    summary = Intel(osv=[DEBIAN, GHSA], kev=KEV, epss=EPSS).summary()
    assert summary["osv_records"] == len(os.listdir(DEBIAN)) + 1
    assert summary["kev_entries"] > 0 and summary["epss_scores"] > 0
    assert summary["kev_catalog"] and summary["epss_model_version"]
