"""Reading the host's and core-scenes' tables in the test database, as the host left them.

Schemas and tables: the host's ``holomush`` schema (libs/host/holomush_host/data/migrations:
``events``, ``characters``; ``plugin_migrations`` is a view over its migration log) and
core-scenes' ``plugin_core_scenes`` (its own ``plugin_migrations`` view).
"""

from __future__ import annotations

import asyncio
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


# Each active session's streams (character, room, scene focus) whose newest event is past
# the delivery cursor the host saved for it.
_UNSAVED_DELIVERIES: Final = """
WITH live AS (
    SELECT s.id AS session_id, c.name, c.id AS character_id, c.location_id
    FROM holomush.sessions s JOIN holomush.characters c ON c.id = s.character_id
    WHERE s.status = 'active'
), streams AS (
    SELECT session_id, name, 'character:' || character_id AS stream FROM live
    UNION ALL SELECT session_id, name, 'location:' || location_id FROM live
    UNION ALL SELECT live.session_id, live.name, 'scene:' || f.target_id || ':' || part
    FROM live JOIN holomush.session_focus f ON f.session_id = live.session_id
    CROSS JOIN (VALUES ('ic'), ('ooc')) AS parts (part)
    WHERE f.kind = 'scene'
)
SELECT st.name, st.stream FROM streams st
WHERE (SELECT max(e.id) FROM holomush.events e WHERE e.stream = st.stream)
    > coalesce((SELECT k.last_event_id FROM holomush.session_cursors k
                WHERE k.session_id = st.session_id AND k.stream = st.stream), '')
ORDER BY 1, 2
"""


async def wait_for_saved_cursors(dsn: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Wait until the host has saved, for every connected player, the newest event each
    of its streams delivered (it saves a couple of seconds after a delivery), so that a
    resumed session replays nothing the player has already seen."""
    unsaved: list[tuple[Any, ...]] = []
    try:
        async with asyncio.timeout(timeout), await _connect(dsn) as conn:
            while True:
                cursor = await conn.execute(_UNSAVED_DELIVERIES)
                unsaved = [tuple(row) for row in await cursor.fetchall()]
                if not unsaved:
                    return
                await asyncio.sleep(0.1)  # database state: nothing to wait on
    except TimeoutError:
        raise AssertionError(
            f"after {timeout}s the host still had not saved these deliveries: {unsaved}"
        ) from None
