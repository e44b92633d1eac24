"""Focus: which scenes a session takes part in, and the streams that follow from it
(reference §4.14, with §9 items 1, 2 and 18 fixed).

* Target ids are taken as the owning plugin stores them (core-scenes: ``scene-<ULID>``);
  the scene streams are ``scene:<target>:ic`` (primary) and ``scene:<target>:ooc``.
* Failures raise `FocusError` with one of the six codes, which the host passes to the
  plugin as ``"<CODE>: <message>"``.
* Joining replays the IC tail (default 3 events) for real, and OOC starts live.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from holomush_host.data.connection import HostConnection, HostPool, pooled
from holomush_host.data.errors import (
    FocusError,
    FocusErrorCode,
    InvalidInputError,
    NotFoundError,
    SessionExpiredError,
)
from holomush_host.data.event_types import StreamStart
from holomush_host.data.replay import ReplayMode, StreamReplay
from holomush_host.data.sessions import (
    SessionInfo,
    load_session,
    lock_live_session,
    set_cursor_for_replay,
)
from holomush_host.data.stream_registry import StreamSender
from holomush_host.data.world import character_stream, location_stream
from holomush_sdk.focus import FocusKey, FocusKind

__all__ = [
    "DEFAULT_SCENE_TAIL",
    "FocusCoordinator",
    "FocusKindPolicy",
    "JoinCheck",
    "RestorePlan",
    "ScenePolicy",
    "StreamPlan",
    "scene_streams",
]

_LOG = logging.getLogger(__name__)

DEFAULT_SCENE_TAIL = 3
MAX_SCENE_TAIL = 10
_TARGET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")

StreamPlan = list[tuple[str, StreamReplay]]

JoinCheck = Callable[[SessionInfo, str], Awaitable[bool]]
"""Asked before a join: ``(session, target_id) -> allowed``. False or an exception refuses
it with FOCUS_POLICY_FAILED (e.g. the scene plugin says the scene is private)."""


class FocusKindPolicy(Protocol):
    """What one focus kind means: its streams, and how they replay on join and restore."""

    def check_target(self, target_id: str) -> str:
        """Return ``target_id`` if well-formed for this kind; else raise `InvalidInputError`."""
        ...

    def streams_for(self, target_id: str) -> list[str]:
        """The target's streams, primary first."""
        ...

    async def on_join(self, session: SessionInfo, target_id: str) -> StreamPlan:
        """Streams and replay for a join; raising refuses the join (FOCUS_POLICY_FAILED)."""
        ...

    def on_restore(self, target_id: str) -> StreamPlan:
        """Streams and replay when a session's delivery (re)starts."""
        ...


def scene_streams(target_id: str) -> list[str]:
    return [f"scene:{target_id}:ic", f"scene:{target_id}:ooc"]


class ScenePolicy:
    """The ``scene`` kind: IC replays a short tail on join, OOC starts live; both resume
    from the session's cursors on restore."""

    def __init__(
        self, *, tail_count: int = DEFAULT_SCENE_TAIL, allow_join: JoinCheck | None = None
    ):
        # Clamped like the reference's replay_tail_default setting.
        self._tail_count = max(0, min(MAX_SCENE_TAIL, tail_count))
        self._allow_join = allow_join

    @property
    def tail_count(self) -> int:
        return self._tail_count

    def check_target(self, target_id: str) -> str:
        if not isinstance(target_id, str) or not _TARGET_ID.fullmatch(target_id):
            raise InvalidInputError(
                "scene target_id must be 1-128 characters of letters, digits, '_' or '-'"
                " (for example scene-01J0Z3...)"
            )
        return target_id

    def streams_for(self, target_id: str) -> list[str]:
        return scene_streams(target_id)

    async def on_join(self, session: SessionInfo, target_id: str) -> StreamPlan:
        if self._allow_join is not None and not await self._allow_join(session, target_id):
            raise PermissionError(f"the scene policy does not allow joining {target_id}")
        ic, ooc = scene_streams(target_id)
        return [
            (ic, StreamReplay(ReplayMode.BOUNDED_TAIL, tail_count=self._tail_count)),
            (ooc, StreamReplay(ReplayMode.LIVE_ONLY)),
        ]

    def on_restore(self, target_id: str) -> StreamPlan:
        return [(stream, StreamReplay()) for stream in scene_streams(target_id)]


@dataclass(frozen=True)
class RestorePlan:
    """Where a session's delivery starts: every stream with its start, in order."""

    streams: dict[str, StreamStart]
    presenting_stream: str | None


class FocusCoordinator:
    def __init__(
        self,
        pool: HostPool,
        *,
        sender: StreamSender | None = None,
        policies: Mapping[str, FocusKindPolicy] | None = None,
    ) -> None:
        self._pool = pool
        self._sender = sender
        self._policies: dict[str, FocusKindPolicy] = (
            dict(policies) if policies is not None else {str(FocusKind.SCENE): ScenePolicy()}
        )

    def register_policy(self, kind: str, policy: FocusKindPolicy) -> None:
        self._policies[kind] = policy

    def policy_for(self, kind: str) -> FocusKindPolicy | None:
        return self._policies.get(kind)

    async def join_focus(self, session_id: str, key: FocusKey) -> None:
        """Add a membership and start its streams.

        SESSION_NOT_FOUND / SESSION_EXPIRED: no usable session. FOCUS_KIND_UNREGISTERED:
        no policy for the kind. FOCUS_POLICY_FAILED: the policy refused or failed.
        FOCUS_ALREADY_MEMBER: already joined (callers may treat it as success).
        """
        kind, target_id = _key_parts(key)
        session = await self._session(session_id)
        policy = self._policies.get(kind)
        if policy is None:
            raise FocusError(
                FocusErrorCode.FOCUS_KIND_UNREGISTERED, f"unsupported focus kind: {kind!r}"
            )
        policy.check_target(target_id)
        try:
            plan = await policy.on_join(session, target_id)
        except Exception as exc:  # any refusal or failure of the policy
            raise FocusError(
                FocusErrorCode.FOCUS_POLICY_FAILED, f"cannot join {kind} {target_id}: {exc}"
            ) from exc
        async with pooled(self._pool) as conn:
            async with conn.transaction():
                await _lock(conn, session_id)
                cursor = await conn.execute(
                    "INSERT INTO session_focus (session_id, kind, target_id) VALUES (%s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (session_id, kind, target_id),
                )
                if cursor.rowcount == 0:
                    raise FocusError(
                        FocusErrorCode.FOCUS_ALREADY_MEMBER,
                        f"session {session_id} already has focus {kind} {target_id}",
                    )
                for stream, replay in plan:
                    await set_cursor_for_replay(conn, session_id, stream, replay)
            cursors = await _cursors(conn, session_id, [stream for stream, _ in plan])
        for stream, replay in plan:
            await self._send(session_id, stream, replay.start(cursors.get(stream)))

    async def leave_focus(self, session_id: str, key: FocusKey) -> None:
        """Remove a membership (no error if absent); clears the presenting focus if it was
        this one, and stops streams no other part of the session still needs."""
        kind, target_id = _key_parts(key)
        async with pooled(self._pool) as conn:
            async with conn.transaction():
                await _lock(conn, session_id)
                cursor = await conn.execute(
                    "DELETE FROM session_focus WHERE session_id = %s AND kind = %s"
                    " AND target_id = %s",
                    (session_id, kind, target_id),
                )
                was_member = cursor.rowcount == 1
            if not was_member:
                return
            policy = self._policies.get(kind)
            if policy is None:
                return
            remaining = _session_streams(await load_session(conn, session_id), self._policies)
        for stream in policy.streams_for(target_id):
            if stream not in remaining and self._sender is not None:
                await self._send_remove(session_id, stream)

    async def present_focus(self, session_id: str, key: FocusKey) -> None:
        """Make a membership the presenting focus; FOCUS_NOT_MEMBER if it is not one."""
        kind, target_id = _key_parts(key)
        async with pooled(self._pool) as conn, conn.transaction():
            await _lock(conn, session_id)
            cursor = await conn.execute(
                "UPDATE sessions SET presenting_kind = %s, presenting_target = %s"
                " WHERE id = %s AND EXISTS (SELECT 1 FROM session_focus"
                "  WHERE session_id = %s AND kind = %s AND target_id = %s)",
                (kind, target_id, session_id, session_id, kind, target_id),
            )
            if cursor.rowcount == 0:
                raise FocusError(
                    FocusErrorCode.FOCUS_NOT_MEMBER,
                    f"session {session_id} is not a member of {kind} {target_id}",
                )

    async def streams_for_session(self, session_id: str) -> list[str]:
        """``character:<id>``, ``location:<id>``, the session streams, then each
        membership's streams; without duplicates. Raises SESSION_NOT_FOUND as FocusError."""
        return _session_streams(await self._session(session_id, allow_expired=True), self._policies)

    async def restore_plan(self, session_id: str) -> RestorePlan:
        """Every stream of the session with where to resume it (its stored cursor)."""
        session = await self._session(session_id, allow_expired=True)
        async with pooled(self._pool) as conn:
            cursors = await _cursors(conn, session_id, None)
        starts: dict[str, StreamStart] = {}
        for stream in _session_streams(session, self._policies, restoring=True):
            starts[stream] = _restore_replay(session, stream, self._policies).start(
                cursors.get(stream)
            )
        presenting_stream = None
        if session.presenting is not None:
            policy = self._policies.get(session.presenting[0])
            if policy is not None:
                presenting_stream = policy.streams_for(session.presenting[1])[0]
        return RestorePlan(starts, presenting_stream)

    async def _session(self, session_id: str, *, allow_expired: bool = False) -> SessionInfo:
        try:
            async with pooled(self._pool) as conn:
                session = await load_session(conn, session_id)
        except NotFoundError as exc:
            raise FocusError(FocusErrorCode.SESSION_NOT_FOUND, exc.message) from None
        if session.is_expired and not allow_expired:
            raise FocusError(FocusErrorCode.SESSION_EXPIRED, f"session {session_id} has expired")
        return session

    async def _send(self, session_id: str, stream: str, start: StreamStart) -> None:
        if self._sender is None:
            return
        try:
            await self._sender.add_stream(session_id, stream, start)
        except Exception:  # best effort: the membership is stored; restore will deliver
            _LOG.exception("could not add stream %s to session %s", stream, session_id)

    async def _send_remove(self, session_id: str, stream: str) -> None:
        assert self._sender is not None
        try:
            await self._sender.remove_stream(session_id, stream)
        except Exception:
            _LOG.exception("could not remove stream %s from session %s", stream, session_id)


def _key_parts(key: FocusKey) -> tuple[str, str]:
    kind = str(key.kind)
    if not kind:
        raise InvalidInputError("focus kind is required")
    if not isinstance(key.target_id, str) or not key.target_id:
        raise InvalidInputError("focus target_id is required")
    return kind, key.target_id


async def _lock(conn: HostConnection, session_id: str) -> None:
    try:
        await lock_live_session(conn, session_id)
    except NotFoundError as exc:
        raise FocusError(FocusErrorCode.SESSION_NOT_FOUND, exc.message) from None
    except SessionExpiredError as exc:
        raise FocusError(FocusErrorCode.SESSION_EXPIRED, exc.message) from None


async def _cursors(
    conn: HostConnection, session_id: str, streams: list[str] | None
) -> dict[str, str]:
    if streams is None:
        cursor = await conn.execute(
            "SELECT stream, last_event_id FROM session_cursors WHERE session_id = %s",
            (session_id,),
        )
    else:
        cursor = await conn.execute(
            "SELECT stream, last_event_id FROM session_cursors"
            " WHERE session_id = %s AND stream = ANY(%s)",
            (session_id, streams),
        )
    return {str(row[0]): str(row[1]) for row in await cursor.fetchall()}


def _session_streams(
    session: SessionInfo, policies: Mapping[str, FocusKindPolicy], *, restoring: bool = False
) -> list[str]:
    streams = [character_stream(session.character_id), location_stream(session.location_id)]
    streams.extend(session.session_streams)
    for membership in session.focus_memberships:
        policy = policies.get(membership.kind)
        if policy is None:
            continue
        if restoring:
            streams.extend(stream for stream, _ in policy.on_restore(membership.target_id))
        else:
            streams.extend(policy.streams_for(membership.target_id))
    return list(dict.fromkeys(streams))


def _restore_replay(
    session: SessionInfo, stream: str, policies: Mapping[str, FocusKindPolicy]
) -> StreamReplay:
    for membership in session.focus_memberships:
        policy = policies.get(membership.kind)
        if policy is None:
            continue
        for candidate, replay in policy.on_restore(membership.target_id):
            if candidate == stream:
                return replay
    return StreamReplay()
