"""Fixtures for the firmware integration tests: a fresh BMC simulator per test (free ports, own CA)."""

from __future__ import annotations

import pytest
from firmware_driver import Driver, bmc_hostvars, testing


@pytest.fixture
def bmc(tmp_path):
    running = testing.start(tmp_path / "bmc", step_seconds=0.05, reset_seconds=1.5)
    yield running
    running.stop()


@pytest.fixture
def redfish(tmp_path, bmc):
    return Driver(tmp_path / "runs", "test-bmc", bmc_hostvars(bmc))
