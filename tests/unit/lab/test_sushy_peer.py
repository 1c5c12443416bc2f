"""lab.peers.sushy: where its virtualenv lives, and what it says when it cannot be built (no emulator started)."""

from __future__ import annotations

import pytest

from lab.peers import sushy


def test_venv_is_keyed_by_pins_under_the_cache(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    venv = sushy.venv_dir(env)
    assert venv.parent == tmp_path / "everylayer-lab" / "peers" and venv.name.startswith("sushy-tools-")
    assert sushy.venv_dir({"EVERYLAYER_PEERS_DIR": str(tmp_path / "p")}).parent == tmp_path / "p"
    assert sushy.venv_dir(env) == venv  # stable: the next run finds it
    assert "libvirt-python==9.0.0" in sushy.PINS  # the binding that builds against Debian 12's libvirt


def test_missing_build_dependencies_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("EVERYLAYER_PEERS_DIR", raising=False)
    monkeypatch.setattr(sushy.shutil, "which", lambda name: None)
    with pytest.raises(sushy.PeerError, match=r"libvirt-dev with pkg-config.*scripts/apt-packages.txt"):
        sushy.ensure_installed(log=lambda msg: None)
    assert not sushy.venv_dir().exists()  # nothing half-made


def test_an_incomplete_venv_is_not_taken_as_installed(tmp_path):
    venv = tmp_path / "sushy-tools-x"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "sushy-emulator").write_text("#!/bin/sh\n")
    assert not sushy._ready(venv)  # no stamp: an install stopped half-way
    (venv / ".installed").write_text("x\n")
    assert not sushy._ready(venv)  # stamp, but its interpreter does not run
