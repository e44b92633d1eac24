"""SessionStreams: AddSessionStream / RemoveSessionStream and following a moving character."""

from __future__ import annotations

import json

import pytest

from holomush_host.data.errors import (
    DataErrorCode,
    InvalidInputError,
    NotFoundError,
    SessionExpiredError,
)
from holomush_host.data.event_types import EventDraft
from holomush_host.data.host_data import HostData
from holomush_host.data.ids import new_ulid
from holomush_host.data.replay import ReplayMode, StreamReplay
from holomush_host.data.sessions import SessionInfo
from holomush_sdk.focus import FocusKey, FocusKind

from .helpers import ALICE, take, take_until_barrier

WEATHER = "weather:global"


async def new_session(data: HostData) -> SessionInfo:
    guest = await data.world.create_guest_character()
    return await data.sessions.create_session(guest.id)


async def test_added_streams_are_stored_and_delivered(data: HostData) -> None:
    session = await new_session(data)
    history = await data.events.append_many(
        [EventDraft(WEATHER, "system", ALICE, json.dumps({"n": n})) for n in range(4)]
    )
    async with data.events.subscribe((await data.focus.restore_plan(session.id)).streams) as live:
        data.stream_registry.register(session.id, live)
        await data.session_streams.add_session_stream(
            session.id, WEATHER, StreamReplay(ReplayMode.BOUNDED_TAIL, tail_count=2)
        )
        assert await take(live, 2) == history[-2:]
        await data.session_streams.add_session_stream(session.id, WEATHER)  # idempotent
        assert (await data.sessions.get_session(session.id)).session_streams == (WEATHER,)

        await data.session_streams.remove_session_stream(session.id, WEATHER)
        await data.session_streams.remove_session_stream(session.id, WEATHER)  # idempotent
        assert WEATHER not in live.streams
        assert (await data.sessions.get_session(session.id)).session_streams == ()


async def test_replay_modes_shape_the_next_restore(data: HostData) -> None:
    session = await new_session(data)
    old = await data.events.append_many([EventDraft(WEATHER, "system", ALICE) for _ in range(3)])

    await data.session_streams.add_session_stream(session.id, WEATHER)  # FROM_CURSOR, none
    async with data.events.subscribe((await data.focus.restore_plan(session.id)).streams) as a:
        assert await take(a, 3) == old  # from the start

    await data.session_streams.add_session_stream(
        session.id, WEATHER, StreamReplay(ReplayMode.LIVE_ONLY)
    )
    new = await data.events.append(WEATHER, "system", ALICE)
    async with data.events.subscribe((await data.focus.restore_plan(session.id)).streams) as b:
        assert await take(b, 1) == [new]  # cursor moved to the tail at the add


async def test_removing_keeps_streams_the_session_needs_otherwise(data: HostData) -> None:
    session = await new_session(data)
    here = f"location:{session.location_id}"
    scene = FocusKey(FocusKind.SCENE, "scene-01J0Z3V6Q2Y8K7M4N5P6R7S8DD")
    async with data.events.subscribe((await data.focus.restore_plan(session.id)).streams) as live:
        data.stream_registry.register(session.id, live)
        await data.session_streams.add_session_stream(session.id, here)
        await data.session_streams.remove_session_stream(session.id, here)
        assert here in live.streams

        await data.focus.join_focus(session.id, scene)
        ic = data.focus.policy_for("scene").streams_for(scene.target_id)[0]  # type: ignore[union-attr]
        await data.session_streams.add_session_stream(session.id, ic)
        await data.session_streams.remove_session_stream(session.id, ic)
        assert ic in live.streams
        await data.focus.join_focus(session.id, FocusKey(FocusKind.SCENE, "scene-2"))
        await data.focus.leave_focus(session.id, FocusKey(FocusKind.SCENE, "scene-2"))
        assert ic in live.streams


async def test_unknown_and_expired_sessions(data: HostData) -> None:
    with pytest.raises(NotFoundError) as missing:
        await data.session_streams.add_session_stream(new_ulid(), WEATHER)
    assert missing.value.code == DataErrorCode.SESSION_NOT_FOUND
    with pytest.raises(NotFoundError):
        await data.session_streams.remove_session_stream("nope", WEATHER)

    session = await new_session(data)
    await data.sessions.end_session(session.id)
    with pytest.raises(SessionExpiredError):
        await data.session_streams.add_session_stream(session.id, WEATHER)
    assert (await data.sessions.get_session(session.id)).session_streams == ()


async def test_bad_input_changes_nothing(data: HostData) -> None:
    session = await new_session(data)
    for stream in ("", "nocolon", "a b:c"):
        with pytest.raises(InvalidInputError):
            await data.session_streams.add_session_stream(session.id, stream)
    with pytest.raises(InvalidInputError, match="tail count"):
        await data.session_streams.add_session_stream(
            session.id, WEATHER, StreamReplay(ReplayMode.BOUNDED_TAIL, tail_count=-1)
        )
    assert (await data.sessions.get_session(session.id)).session_streams == ()


async def test_change_location_follows_the_character(data: HostData) -> None:
    session = await new_session(data)
    nexus = session.location_id
    garden = await data.world.create_location("Garden")
    async with data.events.subscribe((await data.focus.restore_plan(session.id)).streams) as live:
        data.stream_registry.register(session.id, live)
        await data.events.append(f"location:{garden.id}", "say", ALICE)  # before: not shown
        await data.world.move_character(session.character_id, garden.id)
        await data.session_streams.change_location(session.id, nexus, garden.id)
        assert f"location:{nexus}" not in live.streams
        arrived = await data.events.append(f"location:{garden.id}", "arrive", ALICE)
        assert await take(live, 1) == [arrived]
        await data.events.append(f"location:{nexus}", "say", ALICE)
        assert await take_until_barrier(data.events, live, f"location:{garden.id}") == []
        assert (await data.sessions.cursors(session.id))[f"location:{garden.id}"] < arrived.id
