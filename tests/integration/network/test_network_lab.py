"""The lab's own network devices (python -m lab up): inventory, facts through ansible-playbook, fault CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.change_record import validate

REPO = Path(__file__).resolve().parents[3]
INVENTORY_DIR = Path(os.environ.get("EVERYLAYER_LAB_INVENTORY_DIR", REPO / "inventories" / "lab" / "generated"))
DEVICES = {
    "lab-ios-01": "cisco_ios",
    "lab-nxos-01": "cisco_nxos",
    "lab-eos-01": "arista_eos",
    "lab-junos-01": "juniper_junos",
}
pytestmark = pytest.mark.lab


def _lab_assets() -> dict[str, dict]:
    lab_json = INVENTORY_DIR / "lab.json"
    if not lab_json.exists():
        pytest.fail(f"{lab_json} is missing: bring the lab up first (python -m lab up)")
    assets = {a["name"]: a for a in json.loads(lab_json.read_text())["assets"] if "network" in a.get("layers", [])}
    missing = sorted(set(DEVICES) - set(assets))
    if missing:
        pytest.fail(f"the lab inventory has no {', '.join(missing)}: is the netdev service up? (python -m lab status)")
    return assets


def test_lab_lists_every_network_device_with_its_platform():
    assets = _lab_assets()
    port_base = json.loads((INVENTORY_DIR / "lab.json").read_text())["lab"]["port_base"]
    first_port = 2300 + (port_base - 2200)
    for name, platform in DEVICES.items():
        asset = assets[name]
        assert asset["platform"]["network_os"] == platform and asset["layers"] == ["network"]
        assert first_port <= asset["port"] < first_port + 100  # docs/lab.md: 2300 + (port_base - 2200) and up
        assert asset["vars"]["ansible_network_os"] == platform
        assert "UserKnownHostsFile=" in asset["vars"]["ansible_ssh_common_args"]  # host keys are verified


def test_scan_every_lab_device_through_the_lab_inventory(tmp_path):
    assets = _lab_assets()
    play = tmp_path / "scan.yml"
    out = tmp_path / "out"
    play.write_text(f"""
- name: scan network devices
  hosts: {",".join(DEVICES)}
  gather_facts: false
  tasks:
    - name: scan
      everylayer.patch.network_image:
        state: scanned
        version: "{{{{ everylayer_network_image_version }}}}"
        image: "{{{{ everylayer_network_image }}}}"
      register: scan
    - name: save
      ansible.builtin.copy:
        content: "{{{{ scan | to_json }}}}"
        dest: "{out}-{{{{ inventory_hostname }}}}.json"
        mode: "0600"
""")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), "-i", str(INVENTORY_DIR / "hosts.yml"), str(play)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    for name in DEVICES:
        res = validate(json.loads(Path(f"{out}-{name}.json").read_text()))
        state = json.loads(Path(assets[name]["vars"]["everylayer_netdev_state"]).read_text())
        assert res["changed"] is False
        assert res["facts"]["before"]["version"] == state["version"]
        assert res["facts"]["before"]["boot"][0] == state["boot"][0]


def test_fault_cli_sets_and_clears_device_faults():
    assets = _lab_assets()
    faults = Path(assets["lab-eos-01"]["vars"]["everylayer_netdev_state"]).with_name("faults.json")
    lab = [sys.executable, "-m", "lab", "fault", "netdev"]
    try:
        out = subprocess.run(
            [*lab, "slow-hash", "lab-eos-01", "2"], cwd=REPO, capture_output=True, text=True, check=False, timeout=60
        )
        assert out.returncode == 0, out.stderr
        assert json.loads(faults.read_text()) == {"slow-hash": {"seconds": 2.0}}
        bad = subprocess.run(
            [*lab, "explode", "lab-eos-01"], cwd=REPO, capture_output=True, text=True, check=False, timeout=60
        )
        assert bad.returncode != 0 and "explode" in bad.stdout + bad.stderr
    finally:
        subprocess.run([*lab, "clear", "lab-eos-01"], cwd=REPO, capture_output=True, text=True, check=False, timeout=60)
    assert json.loads(faults.read_text()) == {}
