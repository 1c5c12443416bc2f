"""The fake-switches peer's installer and launcher helpers (lab/peers/fake_switches.py), without installing it."""

from __future__ import annotations

import subprocess

import pytest

from lab.peers import fake_switches


def test_venv_is_outside_the_repo_and_keyed_by_pins(monkeypatch, tmp_path):
    monkeypatch.setenv("EVERYLAYER_PEERS_DIR", str(tmp_path))
    first = fake_switches.venv_dir()
    assert first.parent == tmp_path and first.name.startswith("fake-switches-1.5.0-")
    monkeypatch.setattr(fake_switches, "WITH_DEPS", ("twisted[conch]>=27,<28",))
    assert fake_switches.venv_dir() != first  # new pins, new virtualenv: never a half-updated one


def test_ensure_venv_reuses_a_complete_one(monkeypatch, tmp_path):
    monkeypatch.setenv("EVERYLAYER_PEERS_DIR", str(tmp_path))
    target = fake_switches.venv_dir()
    target.mkdir(parents=True)
    (target / ".complete").write_text("pins\n")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail(f"no install expected: {a}"))
    assert fake_switches.ensure_venv() == target / "bin" / "python"


def test_a_failed_install_names_the_command_and_pip_words(monkeypatch, tmp_path):
    monkeypatch.setenv("EVERYLAYER_PEERS_DIR", str(tmp_path))

    def run(argv, check=False, **kwargs):
        if "pip" in argv:
            raise subprocess.CalledProcessError(1, argv, output="", stderr="No matching distribution for tftpy")
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(RuntimeError, match="installing fake-switches into .* failed .*No matching distribution"):
        fake_switches.ensure_venv()
    assert not (fake_switches.venv_dir() / ".complete").exists()  # the next run tries again


def test_inventory_pins_the_host_key_file(tmp_path):
    sw = fake_switches.FakeSwitch(tmp_path, model="cisco_6500", port=3399)
    hostvars = sw.inventory_vars()
    assert hostvars["ansible_network_os"] == "cisco_ios" and hostvars["ansible_port"] == 3399
    assert hostvars["ansible_ssh_common_args"] == f"-o UserKnownHostsFile={tmp_path / 'known_hosts'}"
    assert sw.password != sw.enable_password and len(sw.password) >= 16
