"""Every real capture in tests/fixtures/network against the values a person reads in it.

Beside each capture, ``<capture>.yml`` lists one or more cases: the parser to run (``parsers.X``,
``checks.X`` or ``stack.members`` with its platform and command) and what the capture says, typed by
reading it. Keys: ``expect`` (these keys of the result), ``expect_value`` (the whole result), ``items`` and
``count`` (some entries of a mapping, and how many there are), ``files``/``absent``/``file_count`` (a file
listing), ``raises`` (the parser must fail naming this text). ``parser: null`` marks a capture of a
command the module does not run; its ``reads`` says why it is kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible_collections.everylayer.patch.plugins.plugin_utils._network import NetworkImageError, checks, parsers, stack

CORPUS = Path(__file__).parents[4] / "fixtures" / "network"
PLATFORMS = ("cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos")
MODULES = {"parsers": parsers, "checks": checks, "stack": stack}


def captures() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".yml" and p.name != "SOURCES.md")


def cases() -> list:
    out = []
    for capture in captures():
        spec = CORPUS / capture.relative_to(CORPUS).with_name(capture.name + ".yml")
        if not spec.exists():
            continue
        for index, case in enumerate(yaml.safe_load(spec.read_text())["cases"]):
            rel = str(capture.relative_to(CORPUS))
            out.append(pytest.param(capture, case, id=f"{rel}#{index}"))
    return out


def run(capture: Path, case: dict):
    text = capture.read_bytes().decode("utf-8")
    module, _, name = case["parser"].partition(".")
    func = getattr(MODULES[module], name)
    if case["parser"] == "stack.members":
        return func(case["platform"], {case["command"]: text})
    return func(text)


def test_the_corpus_is_broad():
    found = captures()
    assert len(found) >= 60
    assert {p.relative_to(CORPUS).parts[0] for p in found} == set(PLATFORMS)
    sources = (CORPUS / "SOURCES.md").read_text()
    for capture in found:  # every file has its repository, commit, path and licence
        rel = str(capture.relative_to(CORPUS))
        row = next((line for line in sources.splitlines() if line.startswith(f"| `{rel}` |")), None)
        assert row is not None, f"{rel} is not in SOURCES.md"
        assert row.count("`") >= 6 and ("Apache-2.0" in row or "BSD" in row or "MIT" in row), row


def test_every_capture_has_expected_values():
    missing = [str(p.relative_to(CORPUS)) for p in captures() if not p.with_name(p.name + ".yml").exists()]
    assert missing == []


def test_every_parsed_command_is_covered():
    used = {case.values[1]["parser"] for case in cases()}
    wanted = {
        "parsers.ios_version",
        "parsers.nxos_version",
        "parsers.eos_version",
        "parsers.junos_version",
        "parsers.junos_uptime",
        "parsers.ios_boot",
        "parsers.nxos_boot",
        "parsers.eos_boot",
        "parsers.dir_listing",
        "parsers.junos_storage",
        "parsers.junos_file_list",
        "parsers.install_summary",
        "checks.interfaces_status",
        "checks.lldp_neighbors",
        "checks.lldp_neighbor_rows",
        "checks.bgp_neighbors",
        "stack.members",
    }
    assert wanted <= used


@pytest.mark.parametrize(("capture", "case"), cases())
def test_capture_reads_as_a_person_reads_it(capture, case):
    if case["parser"] is None:
        assert case["reads"], "a capture no parser reads must say why it is kept"
        return
    if "raises" in case:
        with pytest.raises(NetworkImageError, match=case["raises"]):
            run(capture, case)
        return
    found = run(capture, case)
    if "expect_value" in case:
        assert found == case["expect_value"]
    for key, value in (case.get("expect") or {}).items():
        assert found[key] == value, f"{key}: {found[key]!r} != {value!r}"
    for key, value in (case.get("items") or {}).items():
        assert found.get(key) == value, f"{key}: {found.get(key)!r} != {value!r}"
    if "count" in case:
        assert len(found) == case["count"]
    for name, size in (case.get("files") or {}).items():
        assert found["files"].get(name) == size, name
    for name in case.get("absent") or []:
        assert name not in found["files"], f"{name} is not a file"
    if "file_count" in case:
        assert len(found["files"]) == case["file_count"]
