"""Reading the host's and core-scenes' tables in the test database, as the host left them.

Schemas and tables: the host's ``holomush`` schema (libs/host/holomush_host/data/migrations:
``events``, ``characters``; ``plugin_migrations`` is a view over its migration log) and
core-scenes' ``plugin_core_scenes`` (its own ``plugin_migrations`` view).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

HOST_SCHEMA: Final = "holomush"
CORE_SCENES_SCHEMA: Final = "plugin_core_scenes"
#: ``events.actor_kind`` values (holomush_sdk.events.ActorKind).
ACTOR_CHARACTER: Final = 0
ACTOR_PLUGIN: Final = 2


@dataclass(frozen=True)
class EventRow:
    """One row of the host's ``events`` table (``payload`` decoded)."""

    id: str
    stream: str
    type: str
    actor_kind: int
    actor_id: str
    payload: dict[str, Any]


async def _connect(dsn: str) -> psycopg.AsyncConnection[TupleRow]:
    return await psycopg.AsyncConnection.connect(dsn, autocommit=True)


async def character_id(dsn: str, name: str) -> str:
    """The ID of the character called ``name`` (a connected guest)."""
    async with await _connect(dsn) as conn:
        cursor = await conn.execute(
            "SELECT id FROM holomush.characters WHERE lower(name) = lower(%s)", (name,)
        )
        row = await cursor.fetchone()
    if row is None:
        raise AssertionError(f"no character called {name!r} in the host's database")
    return str(row[0])


async def newest_event_id(dsn: str) -> str:
    """The newest event's ID ('' for none): later events have greater IDs."""
    async with await _connect(dsn) as conn:
        cursor = await conn.execute("SELECT coalesce(max(id), '') FROM holomush.events")
        row = await cursor.fetchone()
    assert row is not None
    return str(row[0])


async def events_after(dsn: str, after: str, *, event_type: str) -> list[EventRow]:
    """Events of ``event_type`` stored after the event ``after``, oldest first."""
    async with await _connect(dsn) as conn:
        cursor = await conn.execute(
            "SELECT id, stream, type, actor_kind, actor_id, payload FROM holomush.events"
            " WHERE id > %s AND type = %s ORDER BY id",
            (after, event_type),
        )
        rows = await cursor.fetchall()
    return [EventRow(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


async def migration_rows(dsn: str, schema: str) -> list[tuple[Any, ...]]:
    """Every row of ``<schema>.plugin_migrations``: what was applied, and when."""
    async with await _connect(dsn) as conn:
        cursor = await conn.execute(
            sql.SQL("SELECT * FROM {}.plugin_migrations ORDER BY 1").format(sql.Identifier(schema))
        )
        return [tuple(row) for row in await cursor.fetchall()]
