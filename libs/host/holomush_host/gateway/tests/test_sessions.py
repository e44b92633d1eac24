"""Player presence on the data layer: start, quit, detach, resume, the sweep, and start-up
after a crash."""

from __future__ import annotations

import asyncio
import json

import pytest

from holomush_host.data.host_data import HostData
from holomush_host.data.sessions import SessionStatus
from holomush_host.data.world import location_stream
from holomush_host.gateway.resume_codes import resume_code_digest
from holomush_host.gateway.sessions import PlayerSessions, ResumeRefusal, ResumeRefused
from holomush_host.gateway.tests.client import wait_until
from holomush_host.gateway.tests.expiry import expire_now


async def room_texts(data: HostData, location_id: str) -> list[tuple[str, str]]:
    room = await data.events.replay(location_stream(location_id))
    return [(e.type, json.loads(e.payload)["text"]) for e in room]


async def test_start_and_end_a_guest(data: HostData) -> None:
    sessions = PlayerSessions(data)
    live = await sessions.start_guest()
    player = live.player
    assert data.stream_registry.get(player.session_id) is live.events
    assert set(live.events.streams) == {
        f"character:{player.character_id}",
        location_stream(player.location_id),
    }
    assert [s.id for s in await data.sessions.list_connected()] == [player.session_id]
    assert (await data.sessions.get_session(player.session_id)).ttl_seconds == 600

    await sessions.end(live)
    assert live.events.closed
    assert data.stream_registry.get(player.session_id) is None
    assert await data.sessions.list_connected() == []
    assert await data.world.find_character_by_name(player.character_name) is None
    assert await room_texts(data, player.location_id) == [
        ("arrive", f"{player.character_name} has arrived."),
        ("leave", f"{player.character_name} has left."),
    ]
    with pytest.raises(ResumeRefused) as refused:
        await sessions.resume(live.resume_code)  # the session went with its guest
    assert refused.value.refusal is ResumeRefusal.UNKNOWN


async def test_the_resume_code_is_random_and_only_its_hash_is_stored(data: HostData) -> None:
    sessions = PlayerSessions(data)
    first, second = await sessions.start_guest(), await sessions.start_guest()
    assert len(first.resume_code) == 22
    assert first.resume_code != second.resume_code
    async with data.pool.connection() as conn:
        cursor = await conn.execute("SELECT resume_code_hash FROM sessions ORDER BY created_at")
        stored = [row[0] for row in await cursor.fetchall()]
    assert stored == [resume_code_digest(first.resume_code), resume_code_digest(second.resume_code)]
    assert first.resume_code not in stored


async def test_detach_then_resume_the_same_session(data: HostData) -> None:
    sessions = PlayerSessions(data, ttl_seconds=120)
    live = await sessions.start_guest()
    player = live.player
    await sessions.detach(live)
    assert live.events.closed
    assert data.stream_registry.get(player.session_id) is None
    detached = await data.sessions.get_session(player.session_id)
    assert detached.status is SessionStatus.DETACHED
    assert detached.expires_at is not None
    assert detached.detached_at is not None
    assert 119 <= (detached.expires_at - detached.detached_at).total_seconds() <= 121
    assert await data.world.find_character_by_name(player.character_name) is not None

    back = await sessions.resume(f"'{live.resume_code}'")  # copied with its quotes
    assert back.player == player
    assert back.resume_code == ""  # not shown again
    assert data.stream_registry.get(player.session_id) is back.events
    assert (await data.sessions.get_session(player.session_id)).status is SessionStatus.ACTIVE
    name = player.character_name
    assert await room_texts(data, player.location_id) == [
        ("arrive", f"{name} has arrived."),
        ("disconnect", f"{name} has disconnected."),
        ("reconnect", f"{name} has reconnected."),
    ]
    with pytest.raises(ResumeRefused) as refused:
        await sessions.resume(live.resume_code)
    assert refused.value.refusal is ResumeRefusal.IN_USE
    await sessions.end(back)


@pytest.mark.parametrize("code", ["", "nonsense", "x" * 22, "a b", "é" * 22])
async def test_a_wrong_code_resumes_nothing(data: HostData, code: str) -> None:
    sessions = PlayerSessions(data)
    live = await sessions.start_guest()
    await sessions.detach(live)
    with pytest.raises(ResumeRefused) as refused:
        await sessions.resume(code)
    assert refused.value.refusal is ResumeRefusal.UNKNOWN
    session = await data.sessions.get_session(live.player.session_id)
    assert session.status is SessionStatus.DETACHED


async def test_two_resumes_at_once_one_wins(data: HostData) -> None:
    sessions = PlayerSessions(data)
    live = await sessions.start_guest()
    await sessions.detach(live)
    results = await asyncio.gather(
        *(sessions.resume(live.resume_code) for _ in range(3)), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, ResumeRefused)]
    assert len(winners) == 1
    assert len(losers) == 2
    assert {loser.refusal for loser in losers} == {ResumeRefusal.IN_USE}
    await sessions.end(winners[0])


async def test_the_sweep_ends_expired_sessions_and_frees_guest_names(data: HostData) -> None:
    sessions = PlayerSessions(data)
    waiting, expired, connected = [await sessions.start_guest() for _ in range(3)]
    for live in (waiting, expired):
        await sessions.detach(live)
    await expire_now(data, expired.player.session_id)
    with pytest.raises(ResumeRefused) as refused:
        await sessions.resume(expired.resume_code)  # expired even before the sweep
    assert refused.value.refusal is ResumeRefusal.ENDED

    assert await sessions.sweep() == 1
    assert await sessions.sweep() == 0
    gone = expired.player.character_name
    assert await data.world.find_character_by_name(gone) is None
    for live in (waiting, connected):
        assert await data.world.find_character_by_name(live.player.character_name) is not None
    assert (await data.world.create_guest_character()).name == gone  # the name is free
    with pytest.raises(ResumeRefused) as refused:
        await sessions.resume(expired.resume_code)
    assert refused.value.refusal is ResumeRefusal.UNKNOWN
    await sessions.end(connected)


async def test_the_background_sweep_runs_until_stopped(data: HostData) -> None:
    sessions = PlayerSessions(data)
    live = await sessions.start_guest()
    await sessions.detach(live)
    await expire_now(data, live.player.session_id)
    sessions.start_sweeping(interval=0.05)
    try:

        async def deleted() -> bool:
            name = live.player.character_name
            return await data.world.find_character_by_name(name) is None

        await wait_until(deleted, what="the sweep to delete the expired guest")
    finally:
        await sessions.stop_sweeping()
    await sessions.stop_sweeping()  # idempotent


async def test_start_up_detaches_sessions_left_by_a_crash(data: HostData) -> None:
    # What a crash leaves: sessions still marked active (no connection holds them now),
    # and one detached earlier whose time has run out.
    before = PlayerSessions(data)
    crashed = [await before.start_guest() for _ in range(2)]
    overdue = await before.start_guest()
    await before.detach(overdue)
    await expire_now(data, overdue.player.session_id)
    for live in crashed:
        live.events.close()

    after = PlayerSessions(data)
    recovery = await after.recover_after_restart()
    assert (recovery.detached, recovery.ended) == (2, 1)
    assert await data.sessions.list_connected() == []
    for live in crashed:
        session = await data.sessions.get_session(live.player.session_id)
        assert session.status is SessionStatus.DETACHED
    assert await data.world.find_character_by_name(overdue.player.character_name) is None

    back = await after.resume(crashed[0].resume_code)
    assert back.player == crashed[0].player
    await after.end(back)


@pytest.mark.parametrize("ttl_seconds", [0, -5, 31 * 24 * 3600])
def test_an_impossible_ttl_is_refused_at_once(data: HostData, ttl_seconds: int) -> None:
    with pytest.raises(ValueError, match="session TTL"):
        PlayerSessions(data, ttl_seconds=ttl_seconds)
