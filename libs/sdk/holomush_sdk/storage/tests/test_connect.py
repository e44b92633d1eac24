"""storage.connect on a real PostgreSQL: a pool in the plugin's schema, or a coded error."""

from __future__ import annotations

import secrets

import psycopg
import pytest
from psycopg import sql

from holomush_sdk.storage import StorageError, StorageErrorCode, connect
from holomush_testing.postgres import with_search_path


async def test_the_pool_works_in_the_schema_named_by_the_dsn(
    postgres_dsn: str, postgres_conn: psycopg.AsyncConnection
) -> None:
    schema = f"plugin_{secrets.token_hex(3)}"
    await postgres_conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))

    pool = await connect(with_search_path(postgres_dsn, schema), max_size=2)
    async with pool:
        async with pool.connection() as conn:
            await conn.execute("CREATE TABLE things (id int)")
        async with pool.connection() as conn:
            cursor = await conn.execute("SHOW search_path")
            assert await cursor.fetchone() == (schema,)

    cursor = await postgres_conn.execute(
        "SELECT schemaname FROM pg_tables WHERE tablename = 'things'"
    )
    assert await cursor.fetchall() == [(schema,)]


async def test_a_malformed_dsn_is_a_connect_failure() -> None:
    with pytest.raises(StorageError) as caught:
        await connect("postgresql://u@/db?search_path=x&no_such_option=1")

    assert caught.value.code == StorageErrorCode.DB_CONNECT_FAILED
    assert "no_such_option" in caught.value.message


async def test_an_unreachable_database_is_a_ping_failure(postgres_dsn: str) -> None:
    missing = postgres_dsn.replace("/holomush_test_", "/no_such_database_", 1)

    with pytest.raises(StorageError) as caught:
        await connect(with_search_path(missing, "plugin_x"))

    assert caught.value.code == StorageErrorCode.DB_PING_FAILED
    assert "no_such_database_" in caught.value.message


async def test_a_closed_port_is_a_ping_failure() -> None:
    with pytest.raises(StorageError) as caught:
        await connect("postgresql://u:pw@127.0.0.1:1/db?search_path=plugin_x", connect_timeout=2)

    assert caught.value.code == StorageErrorCode.DB_PING_FAILED
