"""A simulated BMC (lab.bmcsim) on an ephemeral port for the Redfish backend tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[5]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lab.bmcsim import testing  # noqa: E402


@pytest.fixture
def bmc(tmp_path):
    running = testing.start(tmp_path / "bmc")
    yield running
    running.stop()
