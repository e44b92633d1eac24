"""Bring the host's schema up to date at start-up (``migrations/NNNNNN_name.up.sql``).

The SDK's `holomush_sdk.storage.run_migrations` does the work, as it does for plugins:
each file runs once, in one transaction with its bookkeeping (a ``plugin_migrations``
view in the host schema), and concurrent starts are serialised by an advisory lock. This
module only makes sure the schema exists first and turns storage errors into data errors.
"""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable

import psycopg
from psycopg import sql

from holomush_host.data.connection import check_schema_name, connect_host
from holomush_host.data.errors import StoreUnavailableError
from holomush_sdk.storage import StorageError, StorageErrorCode, run_migrations

__all__ = ["migrations_directory", "run_host_migrations"]


def migrations_directory() -> Traversable:
    """The host's migration files (read through importlib, so a zipped PEX works)."""
    return importlib.resources.files("holomush_host.data") / "migrations"


async def run_host_migrations(conninfo: str, schema: str) -> list[str]:
    """Create ``schema`` if needed and apply pending migrations; return the files applied.

    ``conninfo`` must put ``schema`` first on the search path (see `host_conninfo`).
    Raises `StoreUnavailableError` when the database is unreachable or a migration fails.
    """
    check_schema_name(schema)
    conn = await connect_host(conninfo)
    async with conn:
        try:
            await conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
            )
        except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateSchema):
            pass  # another process created it at the same moment
        except psycopg.Error as exc:
            raise StoreUnavailableError(f"cannot create schema {schema}: {exc}") from None
    try:
        return await run_migrations(conninfo, migrations_directory())
    except StorageError as exc:
        if exc.code in (StorageErrorCode.DB_CONNECT_FAILED, StorageErrorCode.DB_PING_FAILED):
            raise StoreUnavailableError(f"cannot reach the host database: {exc.message}") from None
        raise StoreUnavailableError(f"host schema migration failed: {exc}") from exc
