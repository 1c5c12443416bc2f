"""lab.repos manifest parsing and validation: the shipped manifest, and bad manifests naming the field."""

from __future__ import annotations

import pytest
import yaml

from lab.repos import manifest as mf

SMALL = """
format: 1
maintainer: Lab <lab@example.invalid>
packages:
  - name: lab-a
    summary: A
    size: 4K
    versions:
      - {version: 1.0-1, date: 2026-01-01, changes: [first]}
      - {version: 1.1-1, date: 2026-02-01, type: security, advisory: ELSA-2026:0001,
         severity: Important, cves: [CVE-2026-1234], changes: [fix]}
  - name: lab-b
    summary: B
    versions:
      - {version: 1.0-1, date: 2026-01-01, changes: [first]}
      - {version: 1.1-1, date: 2026-02-01, type: bugfix, advisory: ELBA-2026:0002, changes: [fix],
         depends: [lab-a >= 1.1]}
"""


def _mutate(path: list, value) -> str:
    data = yaml.safe_load(SMALL)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return yaml.safe_dump(data)


def test_small_manifest_parses():
    manifest = mf.parse(SMALL)
    a, b = manifest.packages
    assert a.baseline_version.version == "1.0-1"
    assert a.versions[1].cves == ("CVE-2026-1234",)
    assert a.versions[0].size == 4096
    assert b.versions[0].size == 16 * 1024
    assert b.versions[1].depends[0].deb() == "lab-a (>= 1.1)"
    assert b.versions[1].depends[0].rpm() == "lab-a >= 1.1"
    assert a.versions[1].upstream == "1.1" and a.versions[1].release == "1"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["packages", 0, "summary"], KeyError, "manifest.packages[0].summary: required"),
        (["packages", 0, "name"], "Lab_A", "manifest.packages[0].name:"),
        (["packages", 0, "size"], "12Q", "manifest.packages[0].size:"),
        (["packages", 0, "colour"], "red", "manifest.packages[0].colour: unknown field"),
        (["packages", 0, "versions", 1, "version"], "1.1", "manifest.packages[0].versions[1].version:"),
        (["packages", 0, "versions", 1, "version"], "0.9-1", "manifest.packages[0].versions[1].version: versions"),
        (["packages", 0, "versions", 1, "date"], "2026-13-01", "manifest.packages[0].versions[1].date:"),
        (["packages", 0, "versions", 1, "cves"], KeyError, "manifest.packages[0].versions[1].cves: required"),
        (["packages", 0, "versions", 1, "cves"], ["CVE-26-1"], "manifest.packages[0].versions[1].cves[0]:"),
        (["packages", 0, "versions", 1, "severity"], "Urgent", "manifest.packages[0].versions[1].severity:"),
        (["packages", 0, "versions", 1, "type"], "hotfix", "manifest.packages[0].versions[1].type:"),
        (["packages", 0, "versions", 1, "advisory"], KeyError, "manifest.packages[0].versions[1].advisory: required"),
        (["packages", 0, "versions", 1, "advisory"], "ELSA-1", "manifest.packages[0].versions[1].advisory:"),
        (["packages", 1, "versions", 1, "advisory"], "ELSA-2026:0001", "manifest.packages[1].versions[1].advisory:"),
        (["packages", 1, "versions", 1, "depends"], ["lab-zz >= 1"], "manifest.packages[1].versions[1].depends[0]:"),
        (["packages", 1, "versions", 1, "cves"], ["CVE-2026-1111"], "manifest.packages[1].versions[1].cves: only"),
        (["packages", 1, "versions", 0, "type"], "bugfix", "manifest.packages[1].versions[0]: the first"),
        (["packages", 1, "versions", 0, "changes"], [], "manifest.packages[1].versions[0].changes:"),
        (["packages", 1, "baseline"], "no", "manifest.packages[1].baseline: expected bool"),
        (["packages", 1, "name"], "lab-a", "manifest.packages[1].name: duplicate"),
        (["format"], 2, "manifest.format:"),
    ],
)
def test_bad_manifest_names_the_field(path, value, field):
    with pytest.raises(mf.ManifestError) as err:
        mf.parse(_mutate(path, value))
    assert str(err.value).startswith(field), str(err.value)


def test_not_yaml_is_an_error():
    with pytest.raises(mf.ManifestError, match="not valid YAML"):
        mf.parse("packages: [\n")


def test_shipped_manifest_meets_the_lab_contract():
    manifest = mf.load()
    baseline = [p for p in manifest.packages if p.baseline]
    updated = [p for p in baseline if len(p.versions) > 1]
    assert len(updated) >= 20  # every host has >= 20 pending updates
    assert all(p.name.startswith("lab-") or p.name == "kernel-lab" for p in manifest.packages)
    sizes = [v.size for p in manifest.packages for v in p.versions]
    assert min(sizes) <= 8 * 1024 and max(sizes) >= 2 * 1024 * 1024  # a few KB to a few MB
    kinds = {v.type for p in manifest.packages for v in p.versions[1:]}
    assert {"security", "bugfix"} <= kinds
    assert {v.severity for p in manifest.packages for v in p.versions[1:]} >= set(mf.SEVERITIES)
    assert manifest.package("kernel-lab").reboot
    broken = manifest.package("lab-broken")
    assert not broken.baseline and broken.version("1.1-1").script_fails
    assert not any(v.script_fails for p in baseline for v in p.versions)
    web = manifest.package("lab-web").version("1.2-1")
    assert [d.deb() for d in web.depends] == ["lab-ssl (>= 1.1)"]
