"""A plugin's pool outlives a PostgreSQL restart: queries fail while the server is down,
with a pool error a plugin can catch, and work again once it is back, in the same pool."""

from __future__ import annotations

import asyncio
import secrets
import time

import psycopg
import pytest
from psycopg import sql

from holomush_sdk.storage import connect
from holomush_testing.postgres import with_search_path
from holomush_testing.restartable_postgres import RestartablePostgres

RECOVERY_TIMEOUT = 30.0


@pytest.fixture
def plugin_dsn(restartable_postgres_dsn: str) -> str:
    schema = f"plugin_{secrets.token_hex(3)}"
    with psycopg.connect(restartable_postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("CREATE TABLE {}.notes (text text)").format(sql.Identifier(schema)))
    return with_search_path(restartable_postgres_dsn, schema)


async def test_the_pool_works_again_after_a_restart(
    restartable_postgres: RestartablePostgres, plugin_dsn: str
) -> None:
    pool = await connect(plugin_dsn, min_size=2, max_size=3, checkout_timeout=1.0)
    async with pool:
        async with pool.connection() as conn:
            await conn.execute("INSERT INTO notes VALUES ('before')")

        await restartable_postgres.astop("fast")
        with pytest.raises(psycopg.OperationalError):  # PoolTimeout is one
            async with pool.connection() as conn:
                await conn.execute("SELECT 1")

        await restartable_postgres.astart()
        back = time.monotonic()
        # Stale connections are replaced as they are handed out: the first query after
        # the restart succeeds, in the plugin's schema.
        async with asyncio.timeout(RECOVERY_TIMEOUT), pool.connection() as conn:
            await conn.execute("INSERT INTO notes VALUES ('after')")
            cursor = await conn.execute("SELECT text FROM notes ORDER BY text DESC")
            assert await cursor.fetchall() == [("before",), ("after",)]
        assert time.monotonic() - back < 5.0
