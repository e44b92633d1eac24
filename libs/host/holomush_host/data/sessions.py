"""Sessions (one per connected character), persisted so they survive a host restart.

A session is ``active`` while a connection holds it, ``detached`` when the connection
dropped (it expires ``ttl_seconds`` later unless reattached) and ``expired`` for good. A
detached session past its ``expires_at`` counts as expired even before `expire_overdue`
marks it. A session may carry the SHA-256 of a resume code (`reattach_by_resume_code`):
the code itself is never stored. Each session also stores its focus memberships and presenting focus, the
extra streams plugins added, and a replay cursor per stream.

Writes that depend on a session's state lock its row (``SELECT … FOR UPDATE``) first, so
concurrent focus changes on one session apply one after the other (reference §4.14).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from holomush_host.data.connection import HostConnection, HostPool, pooled
from holomush_host.data.errors import (
    ConflictError,
    DataErrorCode,
    InvalidInputError,
    NotFoundError,
    SessionExpiredError,
)
from holomush_host.data.event_types import BoundedTail
from holomush_host.data.ids import is_ulid, new_ulid
from holomush_host.data.replay import ReplayMode, StreamReplay
from holomush_host.data.subscription import check_tail
from holomush_host.data.validation import check_stream, check_ulid
from holomush_host.data.world import character_stream, location_stream

__all__ = [
    "DEFAULT_SESSION_TTL_SECONDS",
    "FocusMembership",
    "SessionInfo",
    "SessionStatus",
    "SessionStore",
]

DEFAULT_SESSION_TTL_SECONDS = 1800
MAX_SESSION_TTL_SECONDS = 30 * 24 * 3600
_RESUME_CODE_HASH = re.compile(r"[0-9a-f]{64}")


class SessionStatus(enum.StrEnum):
    ACTIVE = "active"
    DETACHED = "detached"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class FocusMembership:
    kind: str
    target_id: str
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    character_id: str
    player_id: str
    character_name: str
    location_id: str
    is_guest: bool
    status: SessionStatus
    """Effective status: a detached session past ``expires_at`` reads as EXPIRED."""
    ttl_seconds: int
    created_at: datetime
    last_seen_at: datetime
    detached_at: datetime | None
    expires_at: datetime | None
    focus_memberships: tuple[FocusMembership, ...]
    presenting: tuple[str, str] | None
    """(kind, target_id) of the presenting focus, if any."""
    session_streams: tuple[str, ...]
    """Streams added with AddSessionStream, in the order they were added."""

    @property
    def is_expired(self) -> bool:
        return self.status is SessionStatus.EXPIRED

    def is_member(self, kind: str, target_id: str) -> bool:
        return any(m.kind == kind and m.target_id == target_id for m in self.focus_memberships)


_SELECT_SESSION = """
SELECT s.id, s.character_id, s.player_id, c.name, c.location_id, c.is_guest,
       CASE WHEN s.status <> 'expired' AND s.expires_at <= now() THEN 'expired'
            ELSE s.status END,
       s.ttl_seconds, s.created_at, s.last_seen_at, s.detached_at, s.expires_at,
       s.presenting_kind, s.presenting_target,
       ARRAY(SELECT f.kind FROM session_focus f WHERE f.session_id = s.id
             ORDER BY f.joined_at, f.kind, f.target_id),
       ARRAY(SELECT f.target_id FROM session_focus f WHERE f.session_id = s.id
             ORDER BY f.joined_at, f.kind, f.target_id),
       ARRAY(SELECT f.joined_at FROM session_focus f WHERE f.session_id = s.id
             ORDER BY f.joined_at, f.kind, f.target_id),
       ARRAY(SELECT t.stream FROM session_streams t WHERE t.session_id = s.id
             ORDER BY t.added_at, t.stream)
FROM sessions s JOIN characters c ON c.id = s.character_id
"""

# The newest event that should NOT be replayed for a tail of n (n = 0: live only).
_SET_CURSOR_BEFORE_TAIL = """
INSERT INTO session_cursors (session_id, stream, last_event_id)
SELECT %(session)s, %(stream)s, boundary.id
FROM (SELECT GREATEST(
        (SELECT id FROM events WHERE stream = %(stream)s ORDER BY id DESC
         OFFSET %(count)s LIMIT 1),
        (SELECT max(id) FROM events WHERE stream = %(stream)s AND created_at < %(not_before)s)
     ) AS id) AS boundary
WHERE boundary.id IS NOT NULL
ON CONFLICT (session_id, stream)
DO UPDATE SET last_event_id = EXCLUDED.last_event_id, updated_at = now()
"""


class SessionStore:
    def __init__(self, pool: HostPool) -> None:
        self._pool = pool

    # -- life cycle ---------------------------------------------------------------------------

    async def create_session(
        self,
        character_id: str,
        *,
        ttl_seconds: int = DEFAULT_SESSION_TTL_SECONDS,
        resume_code_hash: str | None = None,
    ) -> SessionInfo:
        """A new active session for the character (``SESSION_ALREADY_ACTIVE`` if it has a
        live one). Its character and location streams start at their newest events.

        ``resume_code_hash`` (64 lowercase hex digits: the SHA-256 of the code the player
        was given) lets `reattach_by_resume_code` find the session later."""
        check_ulid(character_id, "character_id")
        _check_ttl(ttl_seconds)
        if resume_code_hash is not None:
            _check_resume_code_hash(resume_code_hash)
        session_id = new_ulid()
        async with pooled(self._pool) as conn:
            try:
                async with conn.transaction():
                    cursor = await conn.execute(
                        "SELECT player_id, location_id FROM characters WHERE id = %s FOR SHARE",
                        (character_id,),
                    )
                    row = await cursor.fetchone()
                    if row is None:
                        raise NotFoundError(
                            DataErrorCode.CHARACTER_NOT_FOUND,
                            f"character {character_id} not found",
                        )
                    player_id, location_id = row
                    await conn.execute(
                        "INSERT INTO sessions"
                        " (id, character_id, player_id, ttl_seconds, resume_code_hash)"
                        " VALUES (%s, %s, %s, %s, %s)",
                        (session_id, character_id, player_id, ttl_seconds, resume_code_hash),
                    )
                    for stream in (character_stream(character_id), location_stream(location_id)):
                        await set_cursor_for_replay(
                            conn, session_id, stream, StreamReplay(ReplayMode.LIVE_ONLY)
                        )
            except psycopg.errors.UniqueViolation as exc:
                if exc.diag.constraint_name == "sessions_resume_code_hash":
                    # Only a caller that reuses a code gets here (128 random bits).
                    raise InvalidInputError("that resume code is already in use") from None
                raise ConflictError(
                    DataErrorCode.SESSION_ALREADY_ACTIVE,
                    f"character {character_id} already has a live session",
                ) from None
            return await _load(conn, session_id)

    async def get_session(self, session_id: str) -> SessionInfo:
        """The session, or `NotFoundError` (SESSION_NOT_FOUND), whatever its status."""
        async with pooled(self._pool) as conn:
            return await _load(conn, session_id)

    async def find_live_session(self, character_id: str) -> SessionInfo | None:
        """The character's session that is not expired, if any."""
        check_ulid(character_id, "character_id")
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                "SELECT id FROM sessions WHERE character_id = %s AND status <> 'expired'"
                " AND (expires_at IS NULL OR expires_at > now())",
                (character_id,),
            )
            row = await cursor.fetchone()
            return None if row is None else await _load(conn, row[0])

    async def touch(self, session_id: str) -> None:
        """Record activity (``last_seen_at``) on a live session; one statement (hot path)."""
        _require_session_id(session_id)
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                "UPDATE sessions SET last_seen_at = now() WHERE id = %s AND status <> 'expired'"
                " AND (expires_at IS NULL OR expires_at > now())",
                (session_id,),
            )
            if cursor.rowcount == 0:
                await _load(conn, session_id)  # raises SESSION_NOT_FOUND if it does not exist
                raise SessionExpiredError(session_id)

    async def detach(self, session_id: str) -> SessionInfo:
        """The connection went away: the session expires ``ttl_seconds`` from now."""
        async with pooled(self._pool) as conn:
            async with conn.transaction():
                await lock_live_session(conn, session_id)
                await conn.execute(
                    "UPDATE sessions SET status = 'detached', detached_at = now(),"
                    " expires_at = now() + make_interval(secs => ttl_seconds)"
                    " WHERE id = %s AND status = 'active'",
                    (session_id,),
                )
            return await _load(conn, session_id)

    async def reattach(self, session_id: str) -> SessionInfo:
        """A connection took the session back before it expired (active again)."""
        async with pooled(self._pool) as conn:
            async with conn.transaction():
                await lock_live_session(conn, session_id)
                await conn.execute(
                    "UPDATE sessions SET status = 'active', detached_at = NULL,"
                    " expires_at = NULL, last_seen_at = now() WHERE id = %s",
                    (session_id,),
                )
            return await _load(conn, session_id)

    async def reattach_by_resume_code(self, resume_code_hash: str) -> SessionInfo:
        """Take back the detached session whose resume code hashes to ``resume_code_hash``.

        A compare-and-set: of two connections resuming at once, one gets the session and
        the other ``SESSION_ALREADY_ACTIVE``. Raises `NotFoundError` (SESSION_NOT_FOUND)
        when no session has that code, `SessionExpiredError` when its session has expired
        and `ConflictError` (SESSION_ALREADY_ACTIVE) while a connection holds it. Nothing
        changes unless the session is taken back.
        """
        if not isinstance(resume_code_hash, str) or not _RESUME_CODE_HASH.fullmatch(
            resume_code_hash
        ):
            raise NotFoundError(DataErrorCode.SESSION_NOT_FOUND, "no session has that resume code")
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                "UPDATE sessions SET status = 'active', detached_at = NULL, expires_at = NULL,"
                " last_seen_at = now()"
                " WHERE resume_code_hash = %s AND status = 'detached' AND expires_at > now()"
                " RETURNING id",
                (resume_code_hash,),
            )
            row = await cursor.fetchone()
            if row is not None:
                return await _load(conn, row[0])
            cursor = await conn.execute(
                "SELECT id, status = 'active' FROM sessions WHERE resume_code_hash = %s",
                (resume_code_hash,),
            )
            found = await cursor.fetchone()
        if found is None:
            raise NotFoundError(DataErrorCode.SESSION_NOT_FOUND, "no session has that resume code")
        if found[1]:
            raise ConflictError(
                DataErrorCode.SESSION_ALREADY_ACTIVE,
                f"session {found[0]} is held by another connection",
            )
        raise SessionExpiredError(str(found[0]))

    async def end_session(self, session_id: str) -> None:
        """Expire the session now (``quit``); idempotent."""
        _require_session_id(session_id)
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                "UPDATE sessions SET status = 'expired', expires_at = LEAST(expires_at, now())"
                " WHERE id = %s",
                (session_id,),
            )
            if cursor.rowcount == 0:
                raise _session_not_found(session_id)

    async def expire_overdue(self) -> list[str]:
        """Mark detached sessions past their expiry as expired; returns their ids."""
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                "UPDATE sessions SET status = 'expired'"
                " WHERE status <> 'expired' AND expires_at <= now() RETURNING id"
            )
            return sorted(str(row[0]) for row in await cursor.fetchall())

    async def detach_all_active(self) -> list[str]:
        """At host start-up: no connection survived the restart, so every active session
        is detached (and starts its expiry clock). Returns their ids."""
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                "UPDATE sessions SET status = 'detached', detached_at = now(),"
                " expires_at = now() + make_interval(secs => ttl_seconds)"
                " WHERE status = 'active' RETURNING id"
            )
            return sorted(str(row[0]) for row in await cursor.fetchall())

    async def abandoned_guests(self) -> list[str]:
        """Guest characters that had a session and have no live one left (it ended or its
        TTL passed): their players are gone for good, so they can be deleted. A guest
        still being set up (no session yet) is not one of them."""
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                "SELECT c.id FROM characters c WHERE c.is_guest"
                " AND EXISTS (SELECT 1 FROM sessions s WHERE s.character_id = c.id)"
                " AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.character_id = c.id"
                "  AND s.status <> 'expired' AND (s.expires_at IS NULL OR s.expires_at > now()))"
                " ORDER BY c.id"
            )
            return [str(row[0]) for row in await cursor.fetchall()]

    async def list_connected(self) -> list[SessionInfo]:
        """Active sessions, oldest first (``who``)."""
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                _SELECT_SESSION + " WHERE s.status = 'active' ORDER BY s.created_at, s.id"
            )
            return [_session(row) for row in await cursor.fetchall()]

    # -- cursors ------------------------------------------------------------------------------

    async def save_cursors(self, session_id: str, cursors: Mapping[str, str]) -> None:
        """Remember the newest event delivered per stream; a cursor never moves backwards."""
        _require_session_id(session_id)
        streams = [check_stream(stream) for stream in cursors]
        ids = [check_ulid(cursors[stream], "cursor") for stream in streams]
        if not streams:
            return
        async with pooled(self._pool) as conn:
            try:
                await conn.execute(
                    "INSERT INTO session_cursors (session_id, stream, last_event_id)"
                    " SELECT %s, c.stream, c.id FROM unnest(%s::text[], %s::text[]) AS c(stream, id)"
                    " ON CONFLICT (session_id, stream) DO UPDATE"
                    " SET last_event_id = GREATEST(session_cursors.last_event_id,"
                    "                              EXCLUDED.last_event_id),"
                    "     updated_at = now()",
                    (session_id, streams, ids),
                )
            except psycopg.errors.ForeignKeyViolation:
                raise _session_not_found(session_id) from None

    async def cursors(self, session_id: str) -> dict[str, str]:
        _require_session_id(session_id)
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                "SELECT stream, last_event_id FROM session_cursors WHERE session_id = %s",
                (session_id,),
            )
            return {str(row[0]): str(row[1]) for row in await cursor.fetchall()}


# -- helpers shared with the focus coordinator and session streams ---------------------------


async def lock_live_session(conn: HostConnection, session_id: str) -> None:
    """Lock the session's row for this transaction; it must exist and not be expired."""
    _require_session_id(session_id)
    cursor = await conn.execute(
        "SELECT status = 'expired' OR (expires_at IS NOT NULL AND expires_at <= now())"
        " FROM sessions WHERE id = %s FOR UPDATE",
        (session_id,),
    )
    row = await cursor.fetchone()
    if row is None:
        raise _session_not_found(session_id)
    if row[0]:
        raise SessionExpiredError(session_id)


async def load_session(conn: HostConnection, session_id: str) -> SessionInfo:
    return await _load(conn, session_id)


async def set_cursor_for_replay(
    conn: HostConnection, session_id: str, stream: str, replay: StreamReplay
) -> None:
    """Store the cursor a later FromCursor replay should start from, given how the stream
    was (or will be) replayed now: unchanged for FROM_CURSOR; just before the tail for
    BOUNDED_TAIL; the newest event for LIVE_ONLY. No boundary event → no cursor."""
    if replay.mode is ReplayMode.FROM_CURSOR:
        return
    count = 0
    if replay.mode is ReplayMode.BOUNDED_TAIL:
        count = check_tail(BoundedTail(replay.tail_count, replay.not_before)).count
    params = {
        "session": session_id,
        "stream": stream,
        "count": count,
        "not_before": replay.not_before,
    }
    cursor = await conn.execute(_SET_CURSOR_BEFORE_TAIL, params)
    if cursor.rowcount == 0:
        await conn.execute(
            "DELETE FROM session_cursors WHERE session_id = %s AND stream = %s",
            (session_id, stream),
        )


async def _load(conn: HostConnection, session_id: str) -> SessionInfo:
    _require_session_id(session_id)
    cursor = await conn.execute(_SELECT_SESSION + " WHERE s.id = %s", (session_id,))
    row = await cursor.fetchone()
    if row is None:
        raise _session_not_found(session_id)
    return _session(row)


def _session(row: Sequence[Any]) -> SessionInfo:
    memberships = tuple(
        FocusMembership(kind, target, joined)
        for kind, target, joined in zip(row[14], row[15], row[16], strict=True)
    )
    return SessionInfo(
        id=row[0],
        character_id=row[1],
        player_id=row[2],
        character_name=row[3],
        location_id=row[4],
        is_guest=bool(row[5]),
        status=SessionStatus(row[6]),
        ttl_seconds=row[7],
        created_at=row[8],
        last_seen_at=row[9],
        detached_at=row[10],
        expires_at=row[11],
        presenting=(row[12], row[13]) if row[12] is not None else None,
        focus_memberships=memberships,
        session_streams=tuple(row[17]),
    )


def _require_session_id(session_id: str) -> None:
    # Anything that is not a ULID cannot name a session; say so the same way.
    if not is_ulid(session_id):
        raise _session_not_found(session_id)


def _session_not_found(session_id: object) -> NotFoundError:
    shown = session_id if isinstance(session_id, str) and len(session_id) <= 64 else "?"
    return NotFoundError(DataErrorCode.SESSION_NOT_FOUND, f"session {shown!r} not found")


def _check_resume_code_hash(value: object) -> None:
    if not isinstance(value, str) or not _RESUME_CODE_HASH.fullmatch(value):
        raise InvalidInputError("resume_code_hash must be 64 lowercase hex digits (a SHA-256)")


def _check_ttl(ttl_seconds: int) -> None:
    if (
        isinstance(ttl_seconds, bool)
        or not isinstance(ttl_seconds, int)
        or not 0 < ttl_seconds <= MAX_SESSION_TTL_SECONDS
    ):
        raise InvalidInputError(f"ttl_seconds must be between 1 and {MAX_SESSION_TTL_SECONDS}")
