"""lab/base.py's build of a cached tree (the lab base and the real-archive tier's trees) and its debootstrap call."""

from __future__ import annotations

import json
import threading

import pytest

from lab import base
from lab.aptsources import Mirror

MARKER = ".test-marker.json"


def test_builds_once_into_place_with_the_marker(tmp_path):
    target = tmp_path / "cache" / "tree-1"
    built, said = [], []

    def build(tmp):
        assert tmp.parent == target.parent and tmp != target and not target.exists()
        (tmp / "etc").mkdir(parents=True)
        built.append(tmp)
        return {"suite": "bookworm"}

    assert base.build_once(target, MARKER, build, said.append) == target
    assert (target / "etc").is_dir() and not built[0].exists()
    record = json.loads((target / MARKER).read_text())
    assert record["suite"] == "bookworm" and record["built"] > 0
    assert len(said) == 1 and said[0].startswith("tree-1 built in ")
    assert base.build_once(target, MARKER, lambda tmp: pytest.fail("built twice"), said.append) == target


def test_a_failed_build_leaves_nothing_and_the_next_call_builds_again(tmp_path):
    target = tmp_path / "tree"

    def broken(tmp):
        (tmp / "half").mkdir(parents=True)
        raise RuntimeError("debootstrap failed")

    with pytest.raises(RuntimeError, match="debootstrap failed"):
        base.build_once(target, MARKER, broken, print)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tree.lock"]  # no temporary tree, no target
    base.build_once(target, MARKER, lambda tmp: tmp.mkdir() or {}, print)
    assert (target / MARKER).is_file()


def test_an_incomplete_leftover_is_replaced(tmp_path):
    target = tmp_path / "tree"
    (target / "stale").mkdir(parents=True)  # an earlier build's remains, without the marker
    base.build_once(target, MARKER, lambda tmp: (tmp / "fresh").mkdir(parents=True) or {}, print)
    assert sorted(p.name for p in target.iterdir()) == sorted([MARKER, "fresh"])


def test_a_concurrent_caller_waits_and_finds_the_tree_built(tmp_path):
    target = tmp_path / "tree"
    building, release, waiting, builds, said = threading.Event(), threading.Event(), threading.Event(), [], []

    def slow(tmp):
        builds.append(tmp)
        building.set()
        assert release.wait(30)
        tmp.mkdir()
        return {}

    def say(line):
        said.append(line)
        if line.startswith("waiting"):
            waiting.set()

    first = threading.Thread(target=base.build_once, args=(target, MARKER, slow, say))
    first.start()
    assert building.wait(30)
    second = threading.Thread(target=base.build_once, args=(target, MARKER, slow, say))
    second.start()
    assert waiting.wait(30)  # the second caller found the lock held
    release.set()
    first.join(30)
    second.join(30)
    assert not first.is_alive() and not second.is_alive()
    assert len(builds) == 1 and said[0] == "waiting for another process building tree ..."
    assert said[1].startswith("tree built in ") and len(said) == 2


@pytest.mark.parametrize(
    ("keyring_exists", "include", "options"),
    [
        (True, (), ["--keyring={keyring}"]),
        (False, ("python3",), ["--include=python3"]),  # a keyring this machine lacks is left out
        (True, ("python3", "gnupg"), ["--include=python3,gnupg", "--keyring={keyring}"]),
    ],
)
def test_debootstrap_argv(monkeypatch, tmp_path, keyring_exists, include, options):
    keyring = tmp_path / "debian-archive-keyring.gpg"
    if keyring_exists:
        keyring.write_bytes(b"key")
    calls = []
    monkeypatch.setattr(base, "run", lambda argv, **kw: calls.append((argv, kw)))
    mirror = Mirror(uri="http://mirror.example/debian", suite="bookworm", keyring=str(keyring))
    base.debootstrap(tmp_path / "root", mirror, tmp_path / "log", include=include)
    expected = ["debootstrap", "--variant=minbase", *(o.format(keyring=keyring) for o in options)]
    assert calls == [([*expected, "bookworm", str(tmp_path / "root"), mirror.uri], {"log": tmp_path / "log"})]


def test_system_mounts_unmounts_proc_when_dev_fails(monkeypatch, tmp_path):
    from lab import system

    mounted, unmounted = [], []

    def run(argv, **kw):
        if "--bind" in argv:
            raise system.LabError("mount --bind /dev failed")
        mounted.append(argv[-1])

    monkeypatch.setattr(system, "run", run)
    monkeypatch.setattr(system, "umount", unmounted.append)
    with pytest.raises(system.LabError, match="--bind /dev"), system.system_mounts(tmp_path):
        pytest.fail("the block ran without /dev")
    assert mounted == [str(tmp_path / "proc")] and unmounted == [tmp_path / "proc"]


def test_system_mounts_unmounts_in_reverse_after_the_block(monkeypatch, tmp_path):
    from lab import system

    events = []
    monkeypatch.setattr(system, "run", lambda argv, **kw: events.append(("mount", argv[-1])))
    monkeypatch.setattr(system, "umount", lambda point: events.append(("umount", str(point))))
    with system.system_mounts(tmp_path):
        events.append(("block",))
    proc, dev = str(tmp_path / "proc"), str(tmp_path / "dev")
    assert events == [("mount", proc), ("mount", dev), ("block",), ("umount", dev), ("umount", proc)]
