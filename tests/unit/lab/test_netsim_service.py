"""lab/services/netdev.py through the LabService interface, with a stand-in LabContext."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from helpers.lab_context import stand_in_context

from lab.services.netdev import DEVICES, SERVICE


def _free_block(count: int) -> int:
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            first = sock.getsockname()[1]
        if first + count > 65000:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError("no free block of ports")


@pytest.fixture
def ctx(tmp_path):
    with stand_in_context(tmp_path, port_base=_free_block(len(DEVICES)) - 100) as context:
        yield context


def test_up_status_fault_down(ctx):
    assets = SERVICE.up(ctx)
    assert [a["name"] for a in assets] == [d[0] for d in DEVICES]
    root = ctx.service_dir("netdev")
    known = (root / "known_hosts").read_text().splitlines()
    assert len(known) == len(DEVICES)
    for asset, line in zip(assets, known, strict=True):
        assert asset["layers"] == ["network"]
        assert asset["vars"]["ansible_port"] == asset["port"] and line.startswith(
            f"[127.0.0.1]:{asset['port']} ssh-ed25519 "
        )
        assert asset["platform"]["network_os"] == asset["vars"]["ansible_network_os"]
        assert Path(asset["vars"]["everylayer_network_image"]).is_file()
        assert asset["platform"]["version"]
    assert oct((root / "password").stat().st_mode & 0o777) == "0o600"
    pids = {name: info["pid"] for name, info in SERVICE.status(ctx).items()}
    assert all(pids.values())
    assert SERVICE.up(ctx)  # idempotent: nothing restarted
    assert {name: info["pid"] for name, info in SERVICE.status(ctx).items()} == pids
    assert "set on lab-ios-01" in SERVICE.inject(ctx, "boot-fail", "lab-ios-01", [])
    assert SERVICE.status(ctx)["lab-ios-01"]["faults"] == ["boot-fail"]
    SERVICE.inject(ctx, "clear", "lab-ios-01", [])
    # baseline: whatever the device runs and holds now, it comes back as on its first boot
    first = SERVICE.status(ctx)["lab-ios-01"]
    (root / "lab-ios-01" / "flash" / "junk.bin").write_bytes(b"x")
    SERVICE.inject(ctx, "boot-fail", "lab-ios-01", [])
    assert "back at its baseline (" + first["version"] in SERVICE.inject(ctx, "baseline", "lab-ios-01", [])
    after = SERVICE.status(ctx)["lab-ios-01"]
    assert (after["version"], after["image"], after["faults"]) == (first["version"], first["image"], [])
    assert after["pid"] and after["pid"] != pids["lab-ios-01"]
    assert not (root / "lab-ios-01" / "flash" / "junk.bin").exists()
    with pytest.raises(ValueError, match="unknown device"):
        SERVICE.inject(ctx, "boot-fail", "lab-nope-01", [])
    SERVICE.down(ctx)
    assert not any(info["pid"] for info in SERVICE.status(ctx).values())
