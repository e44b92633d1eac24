"""No lost events: every line a player was shown must come from an event in the store.

Everything a connected player receives is an event of one of its streams, rendered by the
host (`holomush_host.dispatch.rendering`). So the check renders every stored event of the
player's streams the same way and requires, line by line and counting repeats, that what
the player received is among them. An event the host showed but did not keep (or kept
twice fewer times than shown) is a missing line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import psycopg
from psycopg.rows import TupleRow

from holomush_host.data.event_queries import row_to_event
from holomush_host.dispatch.rendering import render_event

__all__ = ["PlayerView", "StoreCheck", "check_against_store", "player_streams"]

_SHOWN_MISSING = 10
_SCENE_STREAM_PREFIX = "scene:"


@dataclass(frozen=True)
class PlayerView:
    """What one player was shown, and on which streams it could have come."""

    name: str
    streams: frozenset[str]
    """The character's and its room's streams; every scene stream is added by the check."""
    lines: Sequence[str]


@dataclass(frozen=True)
class StoreCheck:
    lines_checked: int
    events_in_store: int
    missing: list[tuple[str, str]] = field(default_factory=list)
    """(player, line) for each line shown that no stored event accounts for."""

    @property
    def ok(self) -> bool:
        return not self.missing

    def describe(self) -> str:
        if self.ok:
            return f"{self.lines_checked} lines shown, all in the store"
        shown = "\n".join(f"  {name}: {line!r}" for name, line in self.missing[:_SHOWN_MISSING])
        return (
            f"{len(self.missing)} of {self.lines_checked} lines shown are not in the store"
            f" (first {min(len(self.missing), _SHOWN_MISSING)}):\n{shown}"
        )


async def player_streams(dsn: str, names: Iterable[str]) -> dict[str, frozenset[str]]:
    """The character and location streams of the connected characters called ``names``
    (asked while they are connected: a guest's character goes when it quits)."""
    wanted = sorted(set(names))
    async with await _connect(dsn) as conn:
        cursor = await conn.execute(
            "SELECT name, id, location_id FROM holomush.characters WHERE name = ANY(%s)",
            (wanted,),
        )
        rows = await cursor.fetchall()
    found = {
        str(name): frozenset({f"character:{character}", f"location:{location}"})
        for name, character, location in rows
    }
    missing = [name for name in wanted if name not in found]
    if missing:
        raise LookupError(f"no characters called {missing} in the host's database")
    return found


async def check_against_store(dsn: str, views: Sequence[PlayerView]) -> StoreCheck:
    """Compare what each player was shown with the stored events of its streams."""
    by_stream, total = await _rendered_lines_by_stream(dsn)
    scene_lines: Counter[str] = Counter()
    for stream, lines in by_stream.items():
        if stream.startswith(_SCENE_STREAM_PREFIX):
            scene_lines.update(lines)
    missing: list[tuple[str, str]] = []
    checked = 0
    for view in views:
        available = Counter(scene_lines)
        for stream in view.streams:
            available.update(by_stream.get(stream, Counter()))
        shown = Counter(view.lines)
        checked += sum(shown.values())
        for line, count in shown.items():
            missing.extend((view.name, line) for _ in range(count - available[line]))
    return StoreCheck(lines_checked=checked, events_in_store=total, missing=missing)


async def _rendered_lines_by_stream(dsn: str) -> tuple[Mapping[str, Counter[str]], int]:
    by_stream: dict[str, Counter[str]] = {}
    total = 0
    async with await _connect(dsn) as conn, conn.cursor(name="events") as cursor:
        await cursor.execute(
            "SELECT id, stream, type, actor_kind, actor_id, payload::text, created_at"
            " FROM holomush.events ORDER BY id"
        )
        async for row in cursor:
            total += 1
            event = row_to_event(row)
            by_stream.setdefault(event.stream, Counter()).update(render_event(event))
    return by_stream, total


async def _connect(dsn: str) -> psycopg.AsyncConnection[TupleRow]:
    # Not autocommit: the named (server-side) cursor needs a transaction.
    return await psycopg.AsyncConnection.connect(dsn)
