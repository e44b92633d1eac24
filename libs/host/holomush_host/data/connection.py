"""Connections to the host's own schema: conninfo, the pool, and listener connections."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import TypeAlias

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from holomush_host.data.errors import InvalidInputError, StoreUnavailableError
from holomush_sdk.storage.pool import POOL_CHECKOUT_TIMEOUT, restart_proof_pool_settings

__all__ = [
    "DEFAULT_SCHEMA",
    "HostConnection",
    "HostPool",
    "check_schema_name",
    "connect_host",
    "host_conninfo",
    "open_host_pool",
    "pooled",
]

DEFAULT_SCHEMA = "holomush"

HostConnection: TypeAlias = psycopg.AsyncConnection[TupleRow]
HostPool: TypeAlias = AsyncConnectionPool[HostConnection]

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_schema_name(schema: str) -> str:
    """A lower-case PostgreSQL identifier that needs no quoting (at most 63 characters)."""
    if not _SCHEMA_NAME.fullmatch(schema) or schema.startswith("pg_"):
        raise InvalidInputError(
            f"schema name {schema!r} must be a lower-case identifier (a-z, 0-9, _), at most"
            " 63 characters, not starting with pg_"
        )
    return schema


def host_conninfo(dsn: str, schema: str) -> str:
    """``dsn`` with the host schema first on the search path (other options are kept)."""
    check_schema_name(schema)
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise InvalidInputError(f"invalid database URL: {exc}") from None
    options = str(params.get("options") or "")
    params["options"] = f"{options} -c search_path={schema}".strip()
    return make_conninfo("", **params)


async def connect_host(conninfo: str, *, connect_timeout: float = 10.0) -> HostConnection:
    """One autocommit connection (listener, migrations); unreachable → `StoreUnavailableError`."""
    try:
        return await psycopg.AsyncConnection.connect(
            conninfo, autocommit=True, connect_timeout=max(1, round(connect_timeout))
        )
    except psycopg.OperationalError as exc:
        raise StoreUnavailableError(f"cannot reach the host database: {exc}") from None


async def open_host_pool(
    conninfo: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    connect_timeout: float = 10.0,
    checkout_timeout: float = POOL_CHECKOUT_TIMEOUT,
) -> HostPool:
    """An open pool of autocommit connections; callers open transactions explicitly.

    ``connect_timeout`` bounds opening the pool, ``checkout_timeout`` each wait for a
    connection afterwards. The pool survives a database restart: every connection is
    checked as it is handed out and replaced if the server dropped it, and lost
    connections are dialled again.
    """
    pool: HostPool = AsyncConnectionPool(
        conninfo,
        min_size=min_size,
        max_size=max_size,
        kwargs={"autocommit": True},
        open=False,
        name="holomush-host",
        **restart_proof_pool_settings(checkout_timeout),
    )
    try:
        await pool.open(wait=True, timeout=connect_timeout)
    except PoolTimeout as exc:
        await pool.close()
        raise StoreUnavailableError(f"cannot reach the host database: {exc}") from None
    return pool


@contextlib.asynccontextmanager
async def pooled(pool: HostPool) -> AsyncIterator[HostConnection]:
    """A connection from ``pool``; losing the database raises `StoreUnavailableError`."""
    try:
        async with pool.connection() as conn:
            yield conn
    except psycopg.OperationalError as exc:  # includes the pool's timeout and closed errors
        raise StoreUnavailableError(f"the host database is unavailable: {exc}") from None
