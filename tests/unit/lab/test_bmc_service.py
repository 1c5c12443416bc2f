"""The lab's bmc service: starts simulator processes, hands out assets, injects and clears faults."""

from __future__ import annotations

import json
import socket
import ssl
import urllib.request
from pathlib import Path

import pytest
from helpers.lab_context import stand_in_context

from lab.bmcsim import config as bmccfg
from lab.services import LabContext
from lab.services.bmc import BMCS, BmcService

REPO = Path(__file__).resolve().parents[3]


def free_ports(count):
    socks = [socket.socket() for _ in range(count)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.fixture
def ctx(tmp_path):
    with stand_in_context(tmp_path) as context:
        yield context


def get(url, ca, auth=True):
    req = urllib.request.Request(url)
    if auth:
        req.add_header("Authorization", "Basic YWRtaW46bGFiLWJtYy1wYXNzd29yZA==")  # admin:lab-bmc-password
    context = ssl.create_default_context(cafile=ca)
    with urllib.request.urlopen(req, context=context, timeout=10) as resp:
        return json.loads(resp.read())


def test_up_assets_faults_down(ctx):
    *ports, image_port = free_ports(len(BMCS) + 1)
    service = BmcService(ports=ports, image_port=image_port)
    assets = service.up(ctx)
    assert [a["name"] for a in assets] == list(BMCS)
    first = assets[0]["vars"]
    assert first["everylayer_bmc_baseuri"] == f"https://127.0.0.1:{ports[0]}"
    assert assets[0]["layers"] == ["firmware"]
    # TLS verifies against the lab CA for 127.0.0.1
    inv = get(
        first["everylayer_bmc_baseuri"] + "/redfish/v1/UpdateService/FirmwareInventory/BMC",
        first["everylayer_bmc_ca_path"],
    )
    assert inv["Version"] == "1.45.0"
    with urllib.request.urlopen(first["everylayer_firmware_image_base"] + "/bmc-1.46.0.bin", timeout=5) as resp:
        assert resp.read().startswith(b"EVERYLAYER-LAB-FIRMWARE")
    assert service.up(ctx) == assets  # idempotent: the same processes keep running
    # faults land in the BMC's faults file, which the running simulator reads on every request
    service.inject(ctx, "task-fail-at", BMCS[0], ["40"])
    service.inject(ctx, "image-rejected", BMCS[0], [])
    conf = {"state_dir": str(ctx.state_dir / "services" / "bmc" / BMCS[0])}
    assert bmccfg.read_faults(conf) == {"task_fail_at": 40, "image_rejected": True}
    assert service.status(ctx)[BMCS[0]]["faults"]["task_fail_at"] == 40
    service.inject(ctx, "clear", BMCS[0], [])
    assert bmccfg.read_faults(conf) == {"baseline_epoch": 0}
    service.inject(ctx, "baseline", BMCS[0], [])
    assert bmccfg.read_faults(conf) == {"baseline_epoch": 1}
    with pytest.raises(ValueError, match="needs a percentage"):
        service.inject(ctx, "task-fail-at", BMCS[0], [])
    with pytest.raises(ValueError, match="unknown BMC"):
        service.inject(ctx, "clear", "nope", [])
    service.down(ctx)
    assert all(v["pid"] is None for v in service.status(ctx).values())


@pytest.mark.parametrize(("port_base", "first", "image"), [(2200, 8443, 8459), (2250, 8943, 8959), (2290, 9343, 9359)])
def test_default_ports_follow_the_lab_port_base(tmp_path, port_base, first, image):
    """A second lab on another port base gets its own BMC and image ports (none equal a repository port)."""
    context = LabContext(state_dir=tmp_path, port_base=port_base, repo_root=REPO, spawn=None, kill=None, pid=None)
    service = BmcService()
    confs = service.configs(context)
    assert [c["port"] for c in confs.values()] == [first + i for i in range(len(BMCS))]
    assert service.image_port == image
    repo_ports = {8480 + (base - 2200) // 10 for base in range(2200, 2300)}
    assert not repo_ports & {image, *service.ports}


@pytest.mark.parametrize(
    "fault, args, expected",
    [
        ("empty-202", [], {"empty_202": True}),
        ("push-busy", [], {"push_targets_busy": True}),
        ("oem-updating", [], {"oem_updating": True}),
        ("update-refused", [], {"update_refused": True}),
        ("no-sessions", [], {"no_sessions": True}),
        ("task-failed-state", ["Failed"], {"task_failed_state": "Failed"}),
        ("task-stuck-state", ["Flashing"], {"task_stuck_state": "Flashing"}),
        ("error-style", ["ids_only"], {"error_style": "ids_only"}),
        ("third-version", ["2.2.9"], {"third_version": "2.2.9"}),
    ],
)
def test_misbehaviour_faults_are_written_and_cleared(ctx, fault, args, expected):
    service = BmcService()
    target = BMCS[0]
    state = {"state_dir": str(ctx.service_dir("bmc") / target)}
    Path(state["state_dir"]).mkdir(parents=True, exist_ok=True)
    service.inject(ctx, fault, target, args)
    assert {k: v for k, v in bmccfg.read_faults(state).items() if k != "baseline_epoch"} == expected
    service.inject(ctx, "clear", target, [])
    assert {k: v for k, v in bmccfg.read_faults(state).items() if k != "baseline_epoch"} == {}
    if args:
        with pytest.raises(ValueError, match=f"{fault} needs a value"):
            service.inject(ctx, fault, target, [])
