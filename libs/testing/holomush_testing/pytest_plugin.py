"""pytest fixtures for PostgreSQL; load with ``pytest_plugins = ["holomush_testing.pytest_plugin"]``.

* ``postgres_server`` (session): the server for this test process (`PostgresTestServer`).
* ``postgres_dsn`` (module): the URL of a fresh database for the test module, dropped after
  the module; the role is the server's admin role (superuser for the embedded server).
* ``postgres_conn`` (function): an autocommit async psycopg connection to that database.
* ``restartable_postgres`` (function, on a server shared by the module): an embedded server
  the test may stop and start (`RestartablePostgres`); it is running when a test begins.
  Always embedded, whatever ``HOLOMUSH_TEST_DATABASE_URL`` says.
* ``restartable_postgres_dsn`` (function): the URL of a fresh database on that server, for
  this test only (admin role).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
import pytest_asyncio
from psycopg.rows import TupleRow

from holomush_testing.postgres import PostgresTestServer, fresh_database, open_postgres_test_server
from holomush_testing.restartable_postgres import RestartablePostgres, restartable_postgres

__all__ = [
    "postgres_conn",
    "postgres_dsn",
    "postgres_server",
    "restartable_postgres_dsn",
    "restartable_postgres_server",
]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresTestServer]:
    with open_postgres_test_server() as server:
        yield server


@pytest.fixture(scope="module")
def postgres_dsn(
    postgres_server: PostgresTestServer, request: pytest.FixtureRequest
) -> Iterator[str]:
    with fresh_database(postgres_server, request.module.__name__) as dsn:
        yield dsn


@pytest_asyncio.fixture
async def postgres_conn(postgres_dsn: str) -> AsyncIterator[psycopg.AsyncConnection[TupleRow]]:
    async with await psycopg.AsyncConnection.connect(postgres_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module", name="restartable_postgres_module")
def _restartable_postgres_module() -> Iterator[RestartablePostgres]:
    with restartable_postgres() as server:
        yield server


@pytest.fixture(name="restartable_postgres")
def restartable_postgres_server(
    restartable_postgres_module: RestartablePostgres,
) -> RestartablePostgres:
    # A test that stopped the server and failed before starting it again must not take
    # the next test down with it.
    restartable_postgres_module.ensure_running()
    return restartable_postgres_module


@pytest.fixture
def restartable_postgres_dsn(
    restartable_postgres: RestartablePostgres, request: pytest.FixtureRequest
) -> Iterator[str]:
    with fresh_database(restartable_postgres.test_server, request.module.__name__) as dsn:
        yield dsn
