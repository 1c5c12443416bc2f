"""Fixtures for the Windows tests: one simulated Windows host (lab.winsim) on a free port of 4000-4099."""

from __future__ import annotations

import pytest

from lab.winsim import testing


@pytest.fixture(scope="module")
def winhost(tmp_path_factory):
    running = testing.start(tmp_path_factory.mktemp("winsim"), reboot_seconds=0.5)
    yield running
    running.stop()
