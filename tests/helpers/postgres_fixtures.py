"""Fixtures for tests that need a real PostgreSQL: one server per session, an emptied evidence schema per test.

Import them into a conftest (``from helpers.postgres_fixtures import postgres_dsn, postgres_server``).
"""

import pytest

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
