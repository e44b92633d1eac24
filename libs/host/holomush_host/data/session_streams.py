"""Extra streams on a session: AddSessionStream / RemoveSessionStream (reference §1.2, §9
item 7) and the location stream following the character when it moves.

Each change is stored with the session (so it survives a restart and shapes the next
restore) and pushed to the session's live subscription, if it has one.
"""

from __future__ import annotations

import logging

from holomush_host.data.connection import HostPool, pooled
from holomush_host.data.event_types import BoundedTail
from holomush_host.data.focus import FocusCoordinator
from holomush_host.data.replay import ReplayMode, StreamReplay
from holomush_host.data.sessions import lock_live_session, set_cursor_for_replay
from holomush_host.data.stream_registry import StreamSender
from holomush_host.data.subscription import check_tail
from holomush_host.data.validation import check_stream, check_ulid
from holomush_host.data.world import location_stream

__all__ = ["SessionStreams"]

_LOG = logging.getLogger(__name__)


class SessionStreams:
    def __init__(
        self, pool: HostPool, coordinator: FocusCoordinator, sender: StreamSender | None = None
    ) -> None:
        self._pool = pool
        self._coordinator = coordinator
        self._sender = sender

    async def add_session_stream(
        self, session_id: str, stream: str, replay: StreamReplay | None = None
    ) -> None:
        """Deliver ``stream`` to the session from now on (``replay`` defaults to FROM_CURSOR).

        Idempotent. `NotFoundError` (SESSION_NOT_FOUND) / `SessionExpiredError` when the
        session cannot take streams; `InvalidInputError` for a bad stream name.
        """
        check_stream(stream)
        replay = replay or StreamReplay()
        if not isinstance(replay.mode, ReplayMode):
            raise TypeError("replay must be a StreamReplay")
        if replay.mode is ReplayMode.BOUNDED_TAIL:
            check_tail(BoundedTail(replay.tail_count, replay.not_before))
        async with pooled(self._pool) as conn:
            async with conn.transaction():
                await lock_live_session(conn, session_id)
                await conn.execute(
                    "INSERT INTO session_streams (session_id, stream) VALUES (%s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (session_id, stream),
                )
                await set_cursor_for_replay(conn, session_id, stream, replay)
            cursor = await conn.execute(
                "SELECT last_event_id FROM session_cursors WHERE session_id = %s AND stream = %s",
                (session_id, stream),
            )
            row = await cursor.fetchone()
        await self._add(session_id, stream, replay, None if row is None else str(row[0]))

    async def remove_session_stream(self, session_id: str, stream: str) -> None:
        """Stop delivering a stream added with `add_session_stream`; idempotent. A stream
        the session still needs for another reason (its location, a focus) keeps flowing."""
        check_stream(stream)
        async with pooled(self._pool) as conn, conn.transaction():
            await lock_live_session(conn, session_id)
            cursor = await conn.execute(
                "DELETE FROM session_streams WHERE session_id = %s AND stream = %s",
                (session_id, stream),
            )
            removed = cursor.rowcount == 1
        if removed and stream not in await self._coordinator.streams_for_session(session_id):
            await self._remove(session_id, stream)

    async def change_location(
        self, session_id: str, from_location_id: str, to_location_id: str
    ) -> None:
        """After the session's character moved: follow the new location's stream live, and
        stop the old one unless something else still needs it."""
        check_ulid(from_location_id, "from_location_id")
        check_ulid(to_location_id, "to_location_id")
        old, new = location_stream(from_location_id), location_stream(to_location_id)
        live = StreamReplay(ReplayMode.LIVE_ONLY)
        async with pooled(self._pool) as conn, conn.transaction():
            await lock_live_session(conn, session_id)
            await set_cursor_for_replay(conn, session_id, new, live)
        if old != new and old not in await self._coordinator.streams_for_session(session_id):
            await self._remove(session_id, old)
        await self._add(session_id, new, live, None)

    async def _add(
        self, session_id: str, stream: str, replay: StreamReplay, cursor: str | None
    ) -> None:
        if self._sender is None:
            return
        try:
            await self._sender.add_stream(session_id, stream, replay.start(cursor))
        except Exception:  # stored already; the next restore delivers it
            _LOG.exception("could not add stream %s to session %s", stream, session_id)

    async def _remove(self, session_id: str, stream: str) -> None:
        if self._sender is None:
            return
        try:
            await self._sender.remove_stream(session_id, stream)
        except Exception:
            _LOG.exception("could not remove stream %s from session %s", stream, session_id)
