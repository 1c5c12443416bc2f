"""Choosing the package manager from os-release and the tools present."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages import detect
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError

RELEASES = {
    "debian": ('ID=debian\nVERSION_ID="12"\n', "apt"),
    "ubuntu": ("ID=ubuntu\nID_LIKE=debian\n", "apt"),
    "rocky": ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', "dnf"),
    "lab-el": ('NAME="Everylayer Lab Enterprise Linux"\nID="ellab"\nID_LIKE="rhel fedora"\n', "dnf"),
    "leap": ('ID="opensuse-leap"\nID_LIKE="suse opensuse"\n', "zypper"),
    "lab-suse": ('ID="ellab-suse"\nID_LIKE="suse opensuse"\n', "zypper"),
    "unknown": ("ID=plan9\n# comment\nbroken line\n", None),
}


@pytest.mark.parametrize("key", sorted(RELEASES))
def test_from_os_release(key):
    text, manager = RELEASES[key]
    assert detect.from_os_release(detect.os_release(text)) == manager


def test_choose_prefers_os_release_when_its_tool_exists(tmp_path):
    release = tmp_path / "os-release"
    release.write_text(RELEASES["lab-el"][0])
    every_tool = lambda tool: f"/usr/bin/{tool}"  # noqa: E731 - a Debian host with dnf installed too
    assert detect.choose("auto", str(release), which=every_tool) == "dnf"
    only_apt = lambda tool: "/usr/bin/apt-get" if tool == "apt-get" else None  # noqa: E731
    assert detect.choose("auto", str(release), which=only_apt) == "apt"
    assert detect.choose("auto", str(tmp_path / "absent"), which=every_tool) == "apt"


def test_choose_explicit_and_errors(tmp_path):
    assert detect.choose("zypper", which=lambda t: None) == "zypper"
    with pytest.raises(PackagesError, match="'pacman' is not supported"):
        detect.choose("pacman")
    with pytest.raises(PackagesError, match="no supported package manager"):
        detect.choose("auto", str(tmp_path / "absent"), which=lambda t: None)
