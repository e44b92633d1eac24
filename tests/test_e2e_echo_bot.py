"""echo-bot, end to end: the packaged host PEX with the unpacked bundles, two telnet players
in one room, and the host's event store read straight from the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from e2e_database import ACTOR_CHARACTER, ACTOR_PLUGIN, events_after, newest_event_id
from e2e_host import HostProcess, running_host
from e2e_telnet import TelnetRoom

pytestmark = pytest.mark.asyncio(loop_scope="module")

ECHO_BOT = "echo-bot"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def host(
    postgres_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[HostProcess]:
    async with running_host(postgres_dsn, tmp_path_factory.mktemp("host")) as host:
        yield host


@pytest_asyncio.fixture(loop_scope="module")
async def room(host: HostProcess) -> AsyncIterator[TelnetRoom]:
    async with TelnetRoom(host.telnet_port, host.report) as room:
        yield room


def said(name: str, message: str) -> str:
    return f'{name} says, "{message}"'


async def test_echo_bot_answers_each_say_exactly_once(room: TelnetRoom, postgres_dsn: str) -> None:
    alice = await room.enter()
    bob = await room.enter()
    before = await newest_event_id(postgres_dsn)

    message = 'hello "world" ✓'
    await alice.send(f"say {message}")
    for player in (alice, bob):
        await player.expect(said(alice.name, message), said(ECHO_BOT, f"Echo: {message}"))
    # echo-bot answers a room's says in order: a second echo of the first say would come
    # before the echo of this one, and fail the exact lines expected here.
    await bob.send("say and again")
    for player in (alice, bob):
        await player.expect(said(bob.name, "and again"), said(ECHO_BOT, "Echo: and again"))
    # Quitting is the last check that nothing else arrived (see TelnetRoom.quit).
    await room.quit(alice)
    await room.quit(bob)

    says = await events_after(postgres_dsn, before, event_type="say")
    room_stream = says[0].stream
    assert room_stream.startswith("location:")
    assert [(e.stream, e.actor_kind, e.payload) for e in says] == [
        (room_stream, ACTOR_CHARACTER, {"character_name": alice.name, "message": message}),
        (room_stream, ACTOR_PLUGIN, {"message": f"Echo: {message}"}),
        (room_stream, ACTOR_CHARACTER, {"character_name": bob.name, "message": "and again"}),
        (room_stream, ACTOR_PLUGIN, {"message": "Echo: and again"}),
    ]
    assert [e.actor_id for e in says if e.actor_kind == ACTOR_PLUGIN] == [ECHO_BOT, ECHO_BOT]
