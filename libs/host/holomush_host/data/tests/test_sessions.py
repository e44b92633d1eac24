"""SessionStore: life cycle, expiry, who, cursors."""

from __future__ import annotations

import asyncio

import pytest

from holomush_host.data.connection import HostPool
from holomush_host.data.errors import (
    ConflictError,
    DataErrorCode,
    InvalidInputError,
    NotFoundError,
    SessionExpiredError,
)
from holomush_host.data.event_store import EventStore
from holomush_host.data.ids import new_ulid
from holomush_host.data.sessions import SessionStatus, SessionStore
from holomush_host.data.world import CharacterInfo, WorldStore, character_stream, location_stream

from .helpers import ALICE


@pytest.fixture
def sessions(pool: HostPool) -> SessionStore:
    return SessionStore(pool)


@pytest.fixture
async def guest(pool: HostPool) -> CharacterInfo:
    world = WorldStore(pool)
    await world.ensure_default_location()
    return await world.create_guest_character()


async def force_expiry(pool: HostPool, session_id: str) -> None:
    """Move a detached session's expiry into the past (instead of waiting for its TTL)."""
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = %s",
            (session_id,),
        )


async def test_create_and_get(sessions: SessionStore, guest: CharacterInfo) -> None:
    session = await sessions.create_session(guest.id, ttl_seconds=60)
    assert session.character_id == guest.id
    assert session.player_id == guest.player_id
    assert session.character_name == guest.name
    assert session.location_id == guest.location_id
    assert session.is_guest
    assert session.status is SessionStatus.ACTIVE
    assert session.ttl_seconds == 60
    assert session.expires_at is None
    assert session.focus_memberships == ()
    assert session.presenting is None
    assert await sessions.get_session(session.id) == session
    assert await sessions.find_live_session(guest.id) == session


async def test_one_live_session_per_character(
    sessions: SessionStore, guest: CharacterInfo, pool: HostPool
) -> None:
    first = await sessions.create_session(guest.id)
    with pytest.raises(ConflictError) as conflict:
        await sessions.create_session(guest.id)
    assert conflict.value.code == DataErrorCode.SESSION_ALREADY_ACTIVE
    await sessions.end_session(first.id)
    second = await sessions.create_session(guest.id)
    assert second.id != first.id
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) FROM sessions")
        assert (await cursor.fetchone()) == (2,)


async def test_create_refuses_bad_input(sessions: SessionStore, guest: CharacterInfo) -> None:
    with pytest.raises(NotFoundError) as missing:
        await sessions.create_session(new_ulid())
    assert missing.value.code == DataErrorCode.CHARACTER_NOT_FOUND
    with pytest.raises(InvalidInputError, match="invalid character_id"):
        await sessions.create_session("abc")
    for ttl in (0, -5, True, 10**9):
        with pytest.raises(InvalidInputError, match="ttl_seconds"):
            await sessions.create_session(guest.id, ttl_seconds=ttl)
    assert await sessions.find_live_session(guest.id) is None


async def test_unknown_sessions(sessions: SessionStore) -> None:
    for session_id in (new_ulid(), "not-a-ulid", ""):
        with pytest.raises(NotFoundError) as missing:
            await sessions.get_session(session_id)
        assert missing.value.code == DataErrorCode.SESSION_NOT_FOUND
    with pytest.raises(NotFoundError):
        await sessions.touch(new_ulid())
    with pytest.raises(NotFoundError):
        await sessions.end_session(new_ulid())


async def test_detach_reattach_and_expiry(
    sessions: SessionStore, guest: CharacterInfo, pool: HostPool
) -> None:
    session = await sessions.create_session(guest.id, ttl_seconds=600)
    detached = await sessions.detach(session.id)
    assert detached.status is SessionStatus.DETACHED
    assert detached.detached_at is not None
    assert detached.expires_at is not None
    assert 599 <= (detached.expires_at - detached.detached_at).total_seconds() <= 601
    assert await sessions.list_connected() == []

    back = await sessions.reattach(session.id)
    assert back.status is SessionStatus.ACTIVE
    assert back.expires_at is None

    await sessions.detach(session.id)
    await force_expiry(pool, session.id)
    assert (await sessions.get_session(session.id)).status is SessionStatus.EXPIRED
    assert await sessions.find_live_session(guest.id) is None
    with pytest.raises(SessionExpiredError):
        await sessions.reattach(session.id)
    with pytest.raises(SessionExpiredError):
        await sessions.touch(session.id)
    assert await sessions.expire_overdue() == [session.id]
    assert await sessions.expire_overdue() == []


async def test_touch_updates_last_seen(sessions: SessionStore, guest: CharacterInfo) -> None:
    session = await sessions.create_session(guest.id)
    await sessions.touch(session.id)
    assert (await sessions.get_session(session.id)).last_seen_at > session.last_seen_at


async def test_who_lists_active_sessions(sessions: SessionStore, pool: HostPool) -> None:
    world = WorldStore(pool)
    await world.ensure_default_location()
    guests = [await world.create_guest_character() for _ in range(3)]
    made = [await sessions.create_session(g.id) for g in guests]
    await sessions.detach(made[1].id)
    assert [s.character_name for s in await sessions.list_connected()] == ["Guest-1", "Guest-3"]


async def test_restart_detaches_active_sessions(sessions: SessionStore, pool: HostPool) -> None:
    world = WorldStore(pool)
    await world.ensure_default_location()
    guests = [await world.create_guest_character() for _ in range(2)]
    made = [await sessions.create_session(g.id) for g in guests]
    await sessions.end_session(made[0].id)
    assert await sessions.detach_all_active() == [made[1].id]
    assert (await sessions.get_session(made[1].id)).status is SessionStatus.DETACHED


async def test_cursors_start_at_the_tail_and_only_move_forward(
    sessions: SessionStore, guest: CharacterInfo, store: EventStore
) -> None:
    here = location_stream(guest.location_id)
    older = await store.append(here, "say", ALICE)
    session = await sessions.create_session(guest.id)
    assert await sessions.cursors(session.id) == {here: older.id}  # character stream: empty

    first, second = [await store.append(here, "say", ALICE) for _ in range(2)]
    mine = character_stream(guest.id)
    await sessions.save_cursors(session.id, {here: second.id, mine: first.id})
    await sessions.save_cursors(session.id, {here: first.id})  # older: ignored
    assert await sessions.cursors(session.id) == {here: second.id, mine: first.id}

    with pytest.raises(InvalidInputError, match="invalid cursor"):
        await sessions.save_cursors(session.id, {here: "x"})
    with pytest.raises(InvalidInputError):
        await sessions.save_cursors(session.id, {"bad stream": second.id})
    with pytest.raises(NotFoundError):
        await sessions.save_cursors(new_ulid(), {here: second.id})
    await sessions.save_cursors(session.id, {})
    assert await sessions.cursors(session.id) == {here: second.id, mine: first.id}


async def test_concurrent_creates_for_one_character(
    sessions: SessionStore, guest: CharacterInfo
) -> None:
    outcomes = await asyncio.gather(
        *(sessions.create_session(guest.id) for _ in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert all(isinstance(o, ConflictError) for o in outcomes if isinstance(o, BaseException))
