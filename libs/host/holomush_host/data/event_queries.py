"""The event store's read queries, shared by the store, the live feed and subscriptions."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg import sql

from holomush_host.data.connection import HostConnection
from holomush_host.data.event_types import ALL_STREAMS, Actor, ActorKind, StoredEvent

__all__ = [
    "fetch_after",
    "fetch_global_range",
    "fetch_streams_after",
    "fetch_tail",
    "last_event_id",
    "row_to_event",
]

_COLUMNS = sql.SQL("id, stream, type, actor_kind, actor_id, payload::text, created_at")


def row_to_event(row: Sequence[Any]) -> StoredEvent:
    return StoredEvent(
        id=row[0],
        stream=row[1],
        type=row[2],
        actor=Actor(ActorKind(row[3]), row[4]),
        payload=row[5],
        created_at=row[6],
    )


def _filters(stream: str, types: Collection[str] | None) -> tuple[sql.Composable, list[Any]]:
    clauses: list[sql.Composable] = []
    params: list[Any] = []
    if stream != ALL_STREAMS:
        clauses.append(sql.SQL("stream = %s"))
        params.append(stream)
    if types is not None:
        clauses.append(sql.SQL("type = ANY(%s)"))
        params.append(list(types))
    return sql.SQL("").join(sql.SQL(" AND ") + clause for clause in clauses), params


async def fetch_after(
    conn: HostConnection,
    stream: str,
    after_id: str | None,
    limit: int,
    types: Collection[str] | None = None,
) -> list[StoredEvent]:
    """Up to ``limit`` events of ``stream`` (or all streams) with id > ``after_id``, ascending."""
    where, params = _filters(stream, types)
    query = sql.SQL("SELECT {} FROM events WHERE id > %s{} ORDER BY id LIMIT %s").format(
        _COLUMNS, where
    )
    cursor = await conn.execute(query, [after_id or "", *params, limit])
    return [row_to_event(row) for row in await cursor.fetchall()]


async def fetch_tail(
    conn: HostConnection,
    stream: str,
    count: int,
    not_before: datetime | None = None,
    before_id: str | None = None,
    *,
    through_id: str | None = None,
    types: Collection[str] | None = None,
) -> list[StoredEvent]:
    """The newest ``count`` events of ``stream`` (or all streams), returned ascending.

    ``before_id`` keeps ids below it; ``through_id`` keeps ids up to and including it.
    """
    where, params = _filters(stream, types)
    extra: list[sql.Composable] = [where]
    if not_before is not None:
        extra.append(sql.SQL(" AND created_at >= %s"))
        params.append(not_before)
    if before_id is not None:
        extra.append(sql.SQL(" AND id < %s"))
        params.append(before_id)
    if through_id is not None:
        extra.append(sql.SQL(" AND id <= %s"))
        params.append(through_id)
    query = sql.SQL(
        "SELECT * FROM (SELECT {} FROM events WHERE TRUE{} ORDER BY id DESC LIMIT %s) AS newest"
        " ORDER BY id"
    ).format(_COLUMNS, sql.SQL("").join(extra))
    cursor = await conn.execute(query, [*params, count])
    return [row_to_event(row) for row in await cursor.fetchall()]


async def fetch_streams_after(
    conn: HostConnection,
    cursors: Mapping[str, str],
    limit: int,
    types: Collection[str] | None = None,
) -> dict[str, list[StoredEvent]]:
    """For each stream, up to ``limit`` events after its cursor ('' = from the start); one query."""
    streams = [stream for stream in cursors if stream != ALL_STREAMS]
    result: dict[str, list[StoredEvent]] = {stream: [] for stream in cursors}
    if ALL_STREAMS in cursors:
        result[ALL_STREAMS] = await fetch_after(
            conn, ALL_STREAMS, cursors[ALL_STREAMS], limit, types
        )
    if not streams:
        return result
    type_filter = sql.SQL(" AND type = ANY(%s)") if types is not None else sql.SQL("")
    query = sql.SQL(
        "SELECT e.* FROM unnest(%s::text[], %s::text[]) AS c(stream, after_id)"
        " CROSS JOIN LATERAL ("
        "  SELECT {} FROM events WHERE stream = c.stream AND id > c.after_id{}"
        "  ORDER BY id LIMIT %s) AS e"
        " ORDER BY e.id"
    ).format(_COLUMNS, type_filter)
    params: list[Any] = [streams, [cursors[stream] for stream in streams]]
    if types is not None:
        params.append(list(types))
    params.append(limit)
    cursor = await conn.execute(query, params)
    for row in await cursor.fetchall():
        event = row_to_event(row)
        result[event.stream].append(event)
    return result


async def fetch_global_range(
    conn: HostConnection, after_id: str, until_id: str, limit: int
) -> list[StoredEvent]:
    """Events of every stream with ``after_id`` < id <= ``until_id``, ascending."""
    query = sql.SQL("SELECT {} FROM events WHERE id > %s AND id <= %s ORDER BY id LIMIT %s").format(
        _COLUMNS
    )
    cursor = await conn.execute(query, (after_id, until_id, limit))
    return [row_to_event(row) for row in await cursor.fetchall()]


async def last_event_id(conn: HostConnection, stream: str = ALL_STREAMS) -> str | None:
    """The newest id of ``stream`` (of any stream for ALL_STREAMS); None when there is none."""
    if stream == ALL_STREAMS:
        cursor = await conn.execute("SELECT max(id) FROM events")
    else:
        cursor = await conn.execute("SELECT max(id) FROM events WHERE stream = %s", (stream,))
    row = await cursor.fetchone()
    return None if row is None else row[0]
