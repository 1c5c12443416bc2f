"""Stores for the evidence unit tests: a SQLite file per test, and one real PostgreSQL server per session."""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import open_store
from helpers.postgres import PostgresServer


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def postgres_dsn(postgres_server):
    import psycopg

    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS evidence_records, evidence_anchor")
    return postgres_server.dsn


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_target(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "evidence.sqlite")
    return request.getfixturevalue("postgres_dsn")


@pytest.fixture
def store(store_target):
    with open_store(store_target) as db:
        yield db
