"""Player presence on the data layer: start, end, and the clean-up after a crash."""

from __future__ import annotations

import json

from holomush_host.data.host_data import HostData
from holomush_host.data.sessions import SessionStatus
from holomush_host.data.world import location_stream
from holomush_host.gateway.sessions import PlayerSessions


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

    await sessions.end(live)
    assert live.events.closed
    assert data.stream_registry.get(player.session_id) is None
    assert await data.sessions.list_connected() == []
    assert await data.world.find_character_by_name(player.character_name) is None
    room = await data.events.replay(location_stream(player.location_id))
    assert [(e.type, json.loads(e.payload)["text"]) for e in room] == [
        ("arrive", f"{player.character_name} has arrived."),
        ("leave", f"{player.character_name} has left."),
    ]


async def test_sessions_left_by_a_crash_are_ended_at_start_up(data: HostData) -> None:
    guest = await data.world.create_guest_character()
    session = await data.sessions.create_session(guest.id)
    assert (await data.sessions.get_session(session.id)).status is SessionStatus.ACTIVE

    assert await PlayerSessions(data).clean_up_after_restart() == 1
    assert await data.sessions.list_connected() == []
    assert await data.world.find_character_by_name(guest.name) is None
    assert await PlayerSessions(data).clean_up_after_restart() == 0
