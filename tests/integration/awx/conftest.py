import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "extensions" / "runner"))  # the recipe of docs/runner.md, imported as users copy it
sys.path.insert(0, str(REPO / "tests" / "integration" / "rollout"))  # rollout_lab: lab inventory, versions, reset

from rollout_lab import reset  # noqa: E402


@pytest.fixture()
def apt_hosts():
    """lab-apt-01 and lab-apt-02 at their baseline before and after the test."""
    hosts = ["lab-apt-01", "lab-apt-02"]
    reset(*hosts)
    yield hosts
    reset(*hosts)
