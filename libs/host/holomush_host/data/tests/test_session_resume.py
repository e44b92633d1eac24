"""SessionStore: resume codes (hash only), the compare-and-set reattach, abandoned guests."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from holomush_host.data.connection import HostPool
from holomush_host.data.errors import (
    ConflictError,
    DataErrorCode,
    InvalidInputError,
    NotFoundError,
    SessionExpiredError,
)
from holomush_host.data.sessions import SessionStatus, SessionStore
from holomush_host.data.world import CharacterInfo, WorldStore

CODE_HASH = hashlib.sha256(b"a resume code").hexdigest()


@pytest.fixture
def sessions(pool: HostPool) -> SessionStore:
    return SessionStore(pool)


@pytest.fixture
async def world(pool: HostPool) -> WorldStore:
    world = WorldStore(pool)
    await world.ensure_default_location()
    return world


@pytest.fixture
async def guest(world: WorldStore) -> CharacterInfo:
    return await world.create_guest_character()


async def expire_now(pool: HostPool, session_id: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = %s",
            (session_id,),
        )


async def test_reattach_by_resume_code(sessions: SessionStore, guest: CharacterInfo) -> None:
    session = await sessions.create_session(guest.id, resume_code_hash=CODE_HASH)
    with pytest.raises(ConflictError) as busy:
        await sessions.reattach_by_resume_code(CODE_HASH)  # a connection still holds it
    assert busy.value.code == DataErrorCode.SESSION_ALREADY_ACTIVE
    assert (await sessions.get_session(session.id)).status is SessionStatus.ACTIVE

    await sessions.detach(session.id)
    back = await sessions.reattach_by_resume_code(CODE_HASH)
    assert back.id == session.id
    assert back.status is SessionStatus.ACTIVE
    assert back.detached_at is None
    assert back.expires_at is None


@pytest.mark.parametrize(
    "code_hash", [hashlib.sha256(b"another code").hexdigest(), "", "not hex", CODE_HASH.upper()]
)
async def test_an_unknown_code_finds_nothing(
    sessions: SessionStore, guest: CharacterInfo, code_hash: str
) -> None:
    session = await sessions.create_session(guest.id, resume_code_hash=CODE_HASH)
    await sessions.detach(session.id)
    with pytest.raises(NotFoundError) as missing:
        await sessions.reattach_by_resume_code(code_hash)
    assert missing.value.code == DataErrorCode.SESSION_NOT_FOUND
    assert (await sessions.get_session(session.id)).status is SessionStatus.DETACHED


async def test_an_expired_session_is_not_taken_back(
    sessions: SessionStore, guest: CharacterInfo, pool: HostPool
) -> None:
    session = await sessions.create_session(guest.id, resume_code_hash=CODE_HASH)
    await sessions.detach(session.id)
    await expire_now(pool, session.id)
    with pytest.raises(SessionExpiredError):
        await sessions.reattach_by_resume_code(CODE_HASH)
    await sessions.expire_overdue()
    with pytest.raises(SessionExpiredError):
        await sessions.reattach_by_resume_code(CODE_HASH)
    assert (await sessions.get_session(session.id)).status is SessionStatus.EXPIRED


async def test_concurrent_reattaches_have_one_winner(
    sessions: SessionStore, guest: CharacterInfo
) -> None:
    session = await sessions.create_session(guest.id, resume_code_hash=CODE_HASH)
    await sessions.detach(session.id)
    results = await asyncio.gather(
        *(sessions.reattach_by_resume_code(CODE_HASH) for _ in range(4)), return_exceptions=True
    )
    assert [r.id for r in results if not isinstance(r, BaseException)] == [session.id]
    assert sum(isinstance(r, ConflictError) for r in results) == 3


async def test_a_malformed_or_reused_code_hash_is_refused(
    sessions: SessionStore, guest: CharacterInfo, world: WorldStore
) -> None:
    for bad in ("", "abc", CODE_HASH.upper(), CODE_HASH + "0"):
        with pytest.raises(InvalidInputError):
            await sessions.create_session(guest.id, resume_code_hash=bad)
    assert await sessions.find_live_session(guest.id) is None
    await sessions.create_session(guest.id, resume_code_hash=CODE_HASH)
    other = await world.create_guest_character()
    with pytest.raises(InvalidInputError, match="already in use"):  # never shared
        await sessions.create_session(other.id, resume_code_hash=CODE_HASH)
    assert await sessions.find_live_session(other.id) is None


async def test_abandoned_guests(sessions: SessionStore, world: WorldStore, pool: HostPool) -> None:
    _no_session_yet, active, waiting, timed_out, quit = [
        await world.create_guest_character() for _ in range(5)
    ]
    for guest in (active, waiting, timed_out, quit):
        await sessions.create_session(guest.id)
    for guest in (waiting, timed_out):
        live = await sessions.find_live_session(guest.id)
        assert live is not None
        await sessions.detach(live.id)
        if guest is timed_out:
            await expire_now(pool, live.id)
    quit_session = await sessions.find_live_session(quit.id)
    assert quit_session is not None
    await sessions.end_session(quit_session.id)

    assert await sessions.abandoned_guests() == sorted([timed_out.id, quit.id])
