"""Stores for the evidence unit tests: a SQLite file per test, and one real PostgreSQL server per session."""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from helpers.postgres_fixtures import postgres_dsn, postgres_server  # noqa: F401 (fixtures)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_target(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "evidence.sqlite")
    return request.getfixturevalue("postgres_dsn")


@pytest.fixture
def store(store_target):
    with open_store(store_target) as db:
        yield db
