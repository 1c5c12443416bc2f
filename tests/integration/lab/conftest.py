"""The ``lab`` fixture: the running lab of the current environment (see lab_testlib.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from lab_testlib import REPO, LabHandle, lab_cli


@pytest.fixture(scope="session")
def lab() -> LabHandle:
    if os.geteuid() != 0:
        pytest.fail("the lab tests need root (chroot into the lab hosts)")
    inventory_dir = Path(os.environ.get("EVERYLAYER_LAB_INVENTORY_DIR") or REPO / "inventories" / "lab" / "generated")
    if not (inventory_dir / "lab.json").is_file():
        pytest.fail(
            f"the lab is not up ({inventory_dir}/lab.json is missing): run `.venv/bin/python -m lab up` as root"
        )
    status = json.loads(lab_cli("status", "--json").stdout)
    down = [h["name"] for h in status["hosts"] if h["state"] != "up"]
    if not status["hosts"] or down:
        pytest.fail(f"the lab is not (fully) up, hosts down: {down or 'all'}: run `.venv/bin/python -m lab up`")
    return LabHandle(inventory_dir)
