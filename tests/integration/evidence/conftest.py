"""Fixtures of the evidence integration tests: a real PostgreSQL server for the session."""

from helpers.postgres_fixtures import postgres_dsn, postgres_server  # noqa: F401 (fixtures)
