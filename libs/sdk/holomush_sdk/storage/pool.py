"""Open the plugin's connection pool (reference §2.11 ``Connect``)."""

from __future__ import annotations

from typing import TypeAlias

import psycopg
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from holomush_sdk.storage.conninfo import libpq_conninfo
from holomush_sdk.storage.errors import StorageError, StorageErrorCode

__all__ = ["PluginPool", "connect"]

PluginPool: TypeAlias = AsyncConnectionPool[psycopg.AsyncConnection[TupleRow]]


async def connect(
    conn_string: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    connect_timeout: float = 10.0,
) -> PluginPool:
    """An open pool on the plugin's database, bound to its schema, after a successful ping.

    ``conn_string`` is the DSN from ``ServiceConfig.connection_string``; its ``search_path``
    parameter becomes a session setting of every pooled connection. Raises `StorageError`:
    ``PLUGIN_DB_CONNECT_FAILED`` for an unusable DSN, ``PLUGIN_DB_PING_FAILED`` when the
    database cannot be reached (the pool is closed again). Close the pool when done.
    """
    conninfo = libpq_conninfo(conn_string)
    await _ping(conninfo, connect_timeout)
    try:
        pool: PluginPool = AsyncConnectionPool(
            conninfo, min_size=min_size, max_size=max_size, open=False, name="holomush-plugin"
        )
    except (ValueError, psycopg.Error) as exc:
        raise StorageError(
            StorageErrorCode.DB_CONNECT_FAILED, f"cannot create the pool: {exc}"
        ) from exc
    try:
        await pool.open(wait=True, timeout=connect_timeout)
        async with pool.connection(timeout=connect_timeout) as conn:
            await conn.execute("SELECT 1")
    except (PoolTimeout, psycopg.Error) as exc:
        await pool.close()
        raise StorageError(StorageErrorCode.DB_PING_FAILED, f"database ping failed: {exc}") from exc
    return pool


async def _ping(conninfo: str, connect_timeout: float) -> None:
    # A direct connection first: on failure it reports libpq's reason at once, where the
    # pool would retry quietly until its timeout and then say only that it timed out.
    try:
        conn = await psycopg.AsyncConnection.connect(
            conninfo, connect_timeout=max(1, round(connect_timeout))
        )
    except psycopg.Error as exc:
        raise StorageError(
            StorageErrorCode.DB_PING_FAILED, f"cannot reach the database: {exc}"
        ) from exc
    async with conn:
        try:
            await conn.execute("SELECT 1")
        except psycopg.Error as exc:
            raise StorageError(
                StorageErrorCode.DB_PING_FAILED, f"database ping failed: {exc}"
            ) from exc
