"""Port arithmetic, host plans and settings resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import config
from lab.config import LabError, Settings


def test_default_plan_is_three_apt_two_dnf_one_zypper():
    plan = config.manager_plan(6)
    assert plan == ["apt"] * 3 + ["dnf"] * 2 + ["zypper"]
    assert config.host_names(plan) == [
        "lab-apt-01",
        "lab-apt-02",
        "lab-apt-03",
        "lab-dnf-01",
        "lab-dnf-02",
        "lab-zypper-01",
    ]


def test_plan_without_zypper_gives_its_share_to_dnf():
    assert config.manager_plan(6, zypper_ok=False) == ["apt"] * 3 + ["dnf"] * 3


@pytest.mark.parametrize("count", [1, 2, 3, 7, 50, 99])
def test_plan_sizes(count):
    plan = config.manager_plan(count)
    assert len(plan) == count
    names = config.host_names(plan)
    assert len(set(names)) == count
    if count >= 3:
        assert set(plan) == {"apt", "dnf", "zypper"}


@pytest.mark.parametrize("count", [0, 100])
def test_plan_bounds(count):
    with pytest.raises(LabError):
        config.manager_plan(count)


def test_ports():
    assert config.host_port(2200, 1) == 2201
    assert config.repo_port(2200) == 8480
    assert config.repo_port(2250) == 8485
    assert config.repo_port(2290) == 8489
    assert config.repo_port(2290, override=9000) == 9000


def test_settings_from_env(tmp_path):
    env = {"EVERYLAYER_LAB_DIR": str(tmp_path / "st"), "EVERYLAYER_LAB_PORT_BASE": "2250", "HOME": str(tmp_path)}
    s = Settings.resolve(environ=env)
    assert s.state_dir == tmp_path / "st"
    assert (s.port_base, s.repo_port) == (2250, 8485)
    assert s.cache_dir == tmp_path / ".cache" / "everylayer-lab"
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    assert Settings.resolve(environ=env).cache_dir == tmp_path / "xdg" / "everylayer-lab"


def test_settings_defaults_and_flags_win(tmp_path):
    s = Settings.resolve(environ={"HOME": str(tmp_path)})
    assert s.state_dir == Path("/var/tmp/everylayer-lab")
    assert (s.port_base, s.repo_port) == (2200, 8480)
    s = Settings.resolve(str(tmp_path), 2260, environ={"EVERYLAYER_LAB_PORT_BASE": "2210", "HOME": str(tmp_path)})
    assert (s.state_dir, s.port_base, s.repo_port) == (tmp_path, 2260, 8486)


@pytest.mark.parametrize("value", ["abc", "80"])
def test_bad_port_base(value, tmp_path):
    with pytest.raises(LabError):
        Settings.resolve(environ={"EVERYLAYER_LAB_PORT_BASE": value, "HOME": str(tmp_path)})


def test_base_cache_key_follows_the_package_list_and_suite(tmp_path):
    from lab import base

    packages = tmp_path / "pkgs.txt"
    packages.write_text("# comment\npython3\nopenssh-server  # inline\n\npython3\n")
    names = base.read_packages(packages)
    assert names == ["openssh-server", "python3"]
    key = base.cache_key(names, "bookworm")
    assert key == base.cache_key(list(reversed(names)), "bookworm")
    assert key != base.cache_key([*names, "dnf"], "bookworm")
    assert key != base.cache_key(names, "trixie")
    path, _ = base.base_dir(tmp_path, names, "bookworm")
    assert path == tmp_path / f"base-{key}"
