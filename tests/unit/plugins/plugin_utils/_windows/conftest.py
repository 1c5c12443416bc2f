"""The runner target for the windows_updates loop tests (tests/helpers/winsim_target.py)."""

from __future__ import annotations

import pytest
from helpers.winsim_target import ModelTarget

from lab.winsim.wua import Model


@pytest.fixture
def target(tmp_path):
    return ModelTarget(Model(tmp_path))
