"""Open the plugin's connection pool (reference §2.11 ``Connect``)."""

from __future__ import annotations

from typing import Any, TypeAlias

import psycopg
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from holomush_sdk.storage.conninfo import libpq_conninfo
from holomush_sdk.storage.errors import StorageError, StorageErrorCode

__all__ = [
    "POOL_CHECKOUT_TIMEOUT",
    "POOL_RECONNECT_TIMEOUT",
    "PluginPool",
    "connect",
    "restart_proof_pool_settings",
]

PluginPool: TypeAlias = AsyncConnectionPool[psycopg.AsyncConnection[TupleRow]]

#: How long a query waits for a connection by default: below the host's 5 s command
#: timeout, so while the database is down a player hears the plugin's own error.
POOL_CHECKOUT_TIMEOUT = 3.0
#: How long the pool keeps re-dialling a lost connection (after 0, 1, 3 and 5 s) before it
#: gives up on it and dials afresh when a caller next waits for a connection. Short, so
#: that once the server is back no caller waits out a long back-off: at most ~2 s, less
#: than the checkout timeout.
POOL_RECONNECT_TIMEOUT = 5.0


def restart_proof_pool_settings(checkout_timeout: float) -> dict[str, Any]:
    """`AsyncConnectionPool` settings for a pool that outlives a database restart (the
    plugins' pools here and the host's): each connection is checked as it is handed out (one
    empty query, ~0.1 ms on a socket) so one the server closed while it sat idle is replaced
    instead of failing the caller's query; lost connections are re-dialled for
    `POOL_RECONNECT_TIMEOUT`; a caller waits at most ``checkout_timeout`` for a connection."""
    return {
        "timeout": checkout_timeout,
        "check": AsyncConnectionPool.check_connection,
        "reconnect_timeout": POOL_RECONNECT_TIMEOUT,
    }


async def connect(
    conn_string: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    connect_timeout: float = 10.0,
    checkout_timeout: float = POOL_CHECKOUT_TIMEOUT,
) -> PluginPool:
    """An open pool on the plugin's database, bound to its schema, after a successful ping.

    ``conn_string`` is the DSN from ``ServiceConfig.connection_string``; its ``search_path``
    parameter becomes a session setting of every pooled connection. ``connect_timeout``
    bounds the first connection, ``checkout_timeout`` each later wait for a connection
    (``pool.connection()`` raises `psycopg_pool.PoolTimeout` after it, for instance while
    the database is down); the pool reconnects by itself when the database comes back.
    Raises `StorageError`:
    ``PLUGIN_DB_CONNECT_FAILED`` for an unusable DSN, ``PLUGIN_DB_PING_FAILED`` when the
    database cannot be reached (the pool is closed again). Close the pool when done.
    """
    conninfo = libpq_conninfo(conn_string)
    await _ping(conninfo, connect_timeout)
    try:
        pool: PluginPool = AsyncConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            open=False,
            name="holomush-plugin",
            **restart_proof_pool_settings(checkout_timeout),
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
