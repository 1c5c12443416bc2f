"""The simulator's configuration (a JSON file written by the lab's bmc service or by tests)."""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_COMPONENTS = [
    {
        "id": "BMC",
        "name": "Lab BMC Firmware",
        "version": "1.45.0",
        "lowest_supported": "1.30.0",
        "updateable": True,
        "resets": "manager",
    },
    {
        "id": "BIOS",
        "name": "Lab System BIOS",
        "version": "2.2.4",
        "lowest_supported": "2.2.0",
        "updateable": True,
        "resets": "system",
    },
    {
        "id": "NIC1",
        "name": "Lab NIC Firmware",
        "version": "25.5.6",
        "lowest_supported": "25.5.6",
        "updateable": True,
        "resets": "none",
    },
    {
        "id": "CPLD",
        "name": "Lab CPLD",
        "version": "3.1",
        "lowest_supported": None,
        "updateable": False,
        "resets": "system",
    },
]


def default_config(name: str, port: int, cert: str, key: str, state_dir: str) -> dict:
    return {
        "name": name,
        "port": port,
        "cert": cert,
        "key": key,
        "state_dir": state_dir,
        "username": "admin",
        "password": "lab-bmc-password",
        "step_seconds": 0.2,
        "reset_seconds": 3.0,
        "components": DEFAULT_COMPONENTS,
    }


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def faults_path(config: dict) -> Path:
    return Path(config["state_dir"]) / "faults.json"


def read_faults(config: dict) -> dict:
    path = faults_path(config)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def write_faults(config: dict, faults: dict) -> None:
    path = faults_path(config)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(faults, sort_keys=True))
    tmp.replace(path)
