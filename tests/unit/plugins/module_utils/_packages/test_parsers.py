"""Parsers against real outputs (SOURCES.md in fixtures/) and made-up edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages import parsers

FIXTURES = Path(__file__).with_name("fixtures")


def fixture(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_apt_simulation_debian_12_capture():
    ops = parsers.apt_simulation(fixture("debian-12-1.apt-get-full-upgrade.stdout"))
    tzdata = next(o for o in ops if o["name"] == "tzdata")
    assert tzdata == {
        "action": "Inst",
        "name": "tzdata",
        "old": "2025a-0+deb12u1",
        "new": "2025b-0+deb12u1",
        "suites": ["Debian:12-updates/stable-updates"],
        "arch": "all",
    }
    new_dep = next(o for o in ops if o["name"] == "libgirepository-1.0-1")
    assert new_dep["old"] is None and new_dep["new"] == "1.74.0-3"
    epoch = next(o for o in ops if o["name"] == "google-guest-agent")
    assert epoch["old"] == "1:20231115.00-g1" and epoch["new"] == "1:20250327.01-g1"
    assert all(o["action"] != "Conf" for o in ops)


def test_apt_simulation_ubuntu_trailing_brackets():
    ops = parsers.apt_simulation(fixture("ubuntu-22.apt-get-full-upgrade.stdout"))
    pam = next(o for o in ops if o["name"] == "libpam-modules-bin")
    assert pam["old"] == "1.4.0-11ubuntu2.4" and pam["new"] == "1.4.0-11ubuntu2.5"
    assert pam["suites"] == ["Ubuntu:22.04/jammy-updates"] and pam["arch"] == "amd64"
    assert len({o["name"] for o in ops}) == len(ops)


def test_apt_simulation_lab_dist_upgrade_and_security_suite():
    ops = parsers.apt_simulation(fixture("lab-apt.apt-get-simulate-dist-upgrade.txt"))
    assert len(ops) == 24
    kernel = next(o for o in ops if o["name"] == "kernel-lab")
    assert parsers.is_security_suite(kernel["suites"])
    agent = next(o for o in ops if o["name"] == "lab-agent")
    assert not parsers.is_security_suite(agent["suites"])


def test_apt_simulation_install_with_new_package_and_removal():
    ops = {o["name"]: o for o in parsers.apt_simulation(fixture("lab-apt.apt-get-simulate-install.txt"))}
    assert ops["lab-docs"]["action"] == "Remv" and ops["lab-docs"]["old"] == "1.0-1"
    assert ops["lab-broken"]["old"] is None and ops["lab-broken"]["new"] == "1.1-1"
    assert ops["lab-ssl"]["new"] == "1.2-1"  # pulled in as a dependency


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Inst pkg:i386 [1.0] (1.1 Debian:12/stable [i386])", ("pkg", "1.0", "1.1", "i386")),
        ("Inst a [1] (2 o:s1, o:s2 [all])", ("a", "1", "2", "all")),
        ("Purg old [3.0]", ("old", "3.0", None, None)),
        ("Inst bare (5)", ("bare", None, "5", None)),
    ],
)
def test_apt_simulation_edge_cases(line, expected):
    (op,) = parsers.apt_simulation(line)
    assert (op["name"], op["old"], op["new"], op["arch"]) == expected


def test_apt_simulation_ignores_noise():
    assert parsers.apt_simulation("NOTE: This is only a simulation!\nReading package lists...\n\n") == []


def test_dpkg_query_status_and_holds():
    packages = parsers.dpkg_query(fixture("lab-apt.dpkg-query.txt"))
    assert packages["lab-agent"] == {
        "version": "1.0-1",
        "status": "ii",
        "held": False,
        "ok": True,
        "arch": "all",
        "source": "lab-agent",
        "source_version": "1.0-1",
    }
    made_up = "a\t1.0\thi \tall\nb\t2.0\tiF \tall\nc\t\tun \tall\nd\t3\trc \tamd64\ne\t4\tiHR\tall\n"
    parsed = parsers.dpkg_query(made_up)
    assert parsed["a"]["held"] and parsed["a"]["ok"]
    assert not parsed["b"]["ok"]
    assert "c" not in parsed and "d" not in parsed
    assert not parsed["e"]["ok"]


def test_apt_madison():
    found = parsers.apt_madison(fixture("lab-apt.apt-cache-madison.txt"))
    assert found["lab-agent"] == ["1.2-1", "1.1-1", "1.0-1"]
    assert "1.1-1" in found["lab-web"]
    assert parsers.apt_madison("") == {}


def test_reboot_required_pkgs():
    assert parsers.reboot_required_pkgs("kernel-lab\n\nlinux-image-6.1\nkernel-lab\n") == [
        "kernel-lab",
        "linux-image-6.1",
    ]


def test_rpm_query_and_evr():
    packages = parsers.rpm_query(fixture("lab-zypper.rpm-qa.txt"))
    assert packages["lab-agent"] == "1.0-1"
    assert parsers.rpm_query("gpg-pubkey\t0\tabc\tdef\t(none)\nx\t2\t1.0\t3.el9\tx86_64\n") == {"x": "2:1.0-3.el9"}
    assert parsers.evr("(none)", "1", "2") == "1-2"


def test_zypper_updates_and_patches():
    updates = parsers.zypper_updates(fixture("lab-zypper.list-updates.xml"))
    assert len(updates) == 24
    agent = next(u for u in updates if u["name"] == "lab-agent")
    assert (agent["old"], agent["new"], agent["repo"]) == ("1.0-1", "1.2-1", "everylayer-lab")
    patches = {p["id"]: p for p in parsers.zypper_patches(fixture("lab-zypper.list-patches.xml"))}
    assert patches["ELSA-2026:0101"]["category"] == "security"
    assert patches["ELSA-2026:0101"]["severity"] == "important"
    assert patches["ELSA-2026:0101"]["issues"] == ["CVE-2026-21037"]


def test_zypper_install_summary_and_search():
    plan = parsers.zypper_summary(fixture("lab-zypper.install-dry-run.xml"))
    assert plan["lab-agent"] == ("1.0-1", "1.1-1")
    assert plan["lab-web"][1] == "1.2-1"
    found = parsers.zypper_search(fixture("lab-zypper.search.xml"))
    assert set(found["lab-agent"]) == {"1.0-1", "1.1-1", "1.2-1"}
    removal = (
        '<stream><install-summary><to-remove><solvable type="package" name="x" edition="1-1"/></to-remove>'
        "</install-summary></stream>"
    )
    assert parsers.zypper_summary(removal) == {"x": ("1-1", None)}


def test_zypper_errors_are_reported():
    root = parsers._xml('<stream><message type="error">Repository is broken</message></stream>', "x")
    assert parsers.zypper_messages(root) == ["Repository is broken"]
    with pytest.raises(ValueError, match="not valid XML"):
        parsers.zypper_updates("<stream><unclosed></stream>")


def test_updateinfo():
    advisories = parsers.updateinfo(fixture("lab-rpm.updateinfo.xml"))
    agent = advisories["ELSA-2026:0101"]
    assert agent["type"] == "security" and agent["severity"] == "Important"
    assert agent["references"] == ["CVE-2026-21037"]
    assert agent["packages"] == {"lab-agent": "1.1-1"}
    assert any(a["reboot"] for a in advisories.values())  # kernel-lab's reboot_suggested


def test_zypp_locks():
    text = "type: package\nmatch_type: glob\ncase_sensitive: on\nsolvable_name: lab-web\n\nsolvable_name: kernel*\n"
    assert parsers.zypp_locks(text) == ["lab-web", "kernel*"]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.0-1", "1.0-1", 0),
        ("1.1-1", "1.0-1", 1),
        ("1.0-1", "1.0-2", -1),
        ("1.10-1", "1.9-1", 1),
        ("1:1.0-1", "2.0-1", 1),
        ("1.0~rc1-1", "1.0-1", -1),
        ("1.0a-1", "1.0-1", 1),
        ("2.0", "2.0-5", 0),
    ],
)
def test_rpm_compare(a, b, expected):
    assert parsers.rpm_compare(a, b) == expected
