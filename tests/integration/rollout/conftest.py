import pytest
from rollout_lab import OS_HOSTS, reset


@pytest.fixture()
def fresh_hosts():
    """Every Linux lab host back at its baseline before and after the test."""
    reset(*OS_HOSTS)
    yield OS_HOSTS
    reset(*OS_HOSTS)
