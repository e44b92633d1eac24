"""The telnet gateway over real sockets: login, rooms, limits, clean-up, live focus streams.
(Resuming a dropped session: test_resume.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random

import pytest

from holomush_host.data.event_types import Actor, ActorKind
from holomush_host.data.sessions import SessionStatus
from holomush_host.dispatch.tests.helpers import Wired
from holomush_host.gateway import texts
from holomush_host.gateway.connection import TelnetSettings
from holomush_host.gateway.server import TelnetServer
from holomush_host.gateway.telnet_codec import DO, DONT, IAC, WILL, WONT
from holomush_host.gateway.tests.client import TelnetTestClient, wait_until
from holomush_host.gateway.tests.stage_plugin import add_stage

ECHO = 1
NAWS = 31
PLUGIN_ACTOR = Actor(ActorKind.PLUGIN, "stage")


async def test_banner_login_and_look(server: TelnetServer) -> None:
    async with await TelnetTestClient.connect(server.port) as client:
        await client.expect(r"^Welcome to HoloMUSH!\r\nUse: connect guest\r\n")
        await client.line("connect guest")
        await client.expect(
            r"^If you are disconnected, reconnect and type 'resume [A-Za-z0-9_-]{22}' within"
            r" 10 minutes to pick up where you left off\.\r\n"
        )
        match = await client.expect(r"^You are (Guest-\d+)\. Type 'help' for the commands\.")
        await client.expect(r"^The Nexus\r\n")
        await client.expect(rf"^Present: {match[1]}\r\n")


async def test_before_login(server: TelnetServer) -> None:
    async with await TelnetTestClient.connect(server.port) as client:
        await client.line("dance wildly")
        await client.expect(r"Unknown command: dance\. Use: connect guest")
        await client.line("connect Bob secret")
        await client.expect(texts.ONLY_GUESTS)
        await client.line("QUIT")
        await client.expect("Goodbye!")
        await client.expect_closed()


async def test_two_players_in_one_room_see_each_other(server: TelnetServer) -> None:
    async with (
        await TelnetTestClient.connect(server.port) as alice,
        await TelnetTestClient.connect(server.port) as bob,
    ):
        alice_name = await alice.login()
        bob_name = await bob.login()
        await alice.expect(rf"^{bob_name} has arrived\.\r\n")
        await alice.line("say Hello, Bob!")
        for client in (alice, bob):
            await client.expect(rf'^{alice_name} says, "Hello, Bob!"\r\n')
        await bob.line(":waves.")
        await bob.line("pose grins.")
        await bob.line(";'s hat falls off.")
        for client in (alice, bob):
            await client.expect(rf"^{bob_name} waves\.\r\n{bob_name} grins\.\r\n")
            await client.expect(rf"^{bob_name}'s hat falls off\.\r\n")
        await alice.line("who")
        await alice.expect(rf"Connected \(2\):\r\n  {alice_name}\r\n  {bob_name}\r\n")


async def test_unknown_commands_and_bad_characters(server: TelnetServer) -> None:
    async with await TelnetTestClient.connect(server.port) as client:
        await client.login()
        await client.line("dance")
        await client.expect(r"^\[ERROR\] Unknown command\. Try 'help'\.\r\n")
        await client.send(b"say a\x1b[31mred\r\n")
        await client.expect(r"^\[ERROR\] That command contains characters that cannot be used\.")


@pytest.mark.parametrize("settings", [TelnetSettings(max_line_bytes=100)])
async def test_an_overlong_line_is_refused_and_the_connection_goes_on(
    server: TelnetServer,
) -> None:
    async with await TelnetTestClient.connect(server.port) as client:
        name = await client.login()
        await client.line("say " + "x" * 200)
        await client.expect(r"^Command too long\.\r\n")
        await client.line("say still here")
        await client.expect(rf'^{name} says, "still here"')
        assert "xxxxxxxxxx" not in client.pending


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


CLOCK = ManualClock()


@pytest.mark.parametrize(
    "settings", [TelnetSettings(lines_per_second=1, line_burst=4, clock=CLOCK)]
)
async def test_flooding_is_refused_with_one_message(server: TelnetServer) -> None:
    async with await TelnetTestClient.connect(server.port) as client:
        name = await client.login()  # takes one token
        await client.send(b"".join(f"say {n}\r\n".encode() for n in range(1, 9)))
        await client.expect(texts.TOO_FAST)
        CLOCK.now += 1  # one more line allowed
        await client.line("say marker")
        # Lines are handled in order: once the marker shows, every line before it has been.
        await client.expect(r'says, "marker"')
        seen = client.received.decode()
        assert [n for n in range(1, 9) if f'{name} says, "{n}"' in seen] == [1, 2, 3]
        assert seen.count(texts.TOO_FAST) == 1


async def test_refuses_telnet_options_and_reads_escaped_bytes(server: TelnetServer) -> None:
    async with await TelnetTestClient.connect(server.port) as client:
        await client.expect("Use: connect guest")
        await client.send(bytes([IAC, DO, ECHO, IAC, WILL, NAWS]))
        await client.expect("\ufffd")  # the refusal bytes, as text
        assert bytes([IAC, WONT, ECHO, IAC, DONT, NAWS]) in client.received
        await client.send(b"conn" + bytes([IAC, 241]) + b"ect guest\r\n")
        await client.expect(r"You are Guest-\d+\.")


async def test_quit_ends_the_session_and_a_dropped_connection_detaches_it(
    server: TelnetServer, wired: Wired
) -> None:
    async with await TelnetTestClient.connect(server.port) as watcher:
        await watcher.login()
        quitter = await TelnetTestClient.connect(server.port)
        quitter_name = await quitter.login()
        dropper = await TelnetTestClient.connect(server.port)
        dropper_name = await dropper.login()

        await quitter.line("quit")
        await quitter.expect("Goodbye!")
        await quitter.expect_closed()
        await watcher.expect(rf"^{quitter_name} has left\.")

        assert await wired.data.world.find_character_by_name(quitter_name) is None

        dropper.writer.transport.abort()  # no quit: the connection just goes away
        await watcher.expect(rf"^{dropper_name} has disconnected\.")

        # Neither is listed as connected; the dropped guest waits to be resumed.
        await watcher.line("who")
        match = await watcher.expect(r"Connected \((\d+)\):")
        assert match[1] == "1"
        await watcher.line("look")
        present = await watcher.expect(r"^Present: (.*)\r\n")
        assert quitter_name not in present[1]
        assert dropper_name not in present[1]
        connected = await wired.data.sessions.list_connected()
        assert len(connected) == 1
        assert connected[0].character_name not in (quitter_name, dropper_name)
        dropped = await wired.data.world.find_character_by_name(dropper_name)
        assert dropped is not None
        session = await wired.data.sessions.find_live_session(dropped.id)
        assert session is not None
        assert session.status is SessionStatus.DETACHED
        await quitter.close()


async def test_stopping_the_server_tells_players_and_detaches_their_sessions(
    server: TelnetServer, wired: Wired
) -> None:
    client = await TelnetTestClient.connect(server.port)
    name = await client.login()
    await server.stop()
    assert texts.SHUTTING_DOWN in await client.expect_closed()
    assert await wired.data.sessions.list_connected() == []
    assert server.connection_count == 0
    # Resumable once the server is back.
    character = await wired.data.world.find_character_by_name(name)
    assert character is not None
    session = await wired.data.sessions.find_live_session(character.id)
    assert session is not None
    assert session.status is SessionStatus.DETACHED
    await client.close()


@pytest.mark.parametrize("settings", [TelnetSettings(max_connections=1)])
async def test_connection_cap(server: TelnetServer) -> None:
    async with await TelnetTestClient.connect(server.port) as first:
        await first.expect("Use: connect guest")
        async with await TelnetTestClient.connect(server.port) as second:
            assert texts.SERVER_FULL in await second.expect_closed()


async def test_joining_a_focus_adds_its_streams_live_with_replay(
    server: TelnetServer, wired: Wired
) -> None:
    add_stage(wired)  # `enter <scene>` joins the focus, as core-scenes' `scene join` does
    events = wired.data.events
    for n in range(1, 5):
        pose = {"character_name": "Alice", "message": f"poses {n}."}
        await events.append("scene:scene-7:ic", "pose", PLUGIN_ACTOR, json.dumps(pose))

    async with await TelnetTestClient.connect(server.port) as client:
        await client.login()
        await client.line("enter scene-7")
        # The IC stream replays its last three events, oldest first; OOC starts live. (The
        # replay may come before or after the command's answer.)
        await client.expect(
            r"^\[scene-7\] Alice poses 2\.\r\n\[scene-7\] Alice poses 3\.\r\n"
            r"\[scene-7\] Alice poses 4\.\r\n"
        )
        await events.append("scene:scene-7:ooc", "system", PLUGIN_ACTOR, '{"text": "Bob joined."}')
        await events.append(
            "scene:scene-7:ic",
            "pose",
            PLUGIN_ACTOR,
            '{"character_name": "Bob", "message": "bows."}',
        )
        await client.expect(r"^\[scene-7 OOC\] Bob joined\.\r\n\[scene-7\] Bob bows\.\r\n")
        seen = client.received.decode()
        assert "Joined scene scene-7.\r\n" in seen
        assert "poses 1." not in seen


async def test_a_guest_is_kept_while_its_session_can_be_resumed(
    server: TelnetServer, wired: Wired
) -> None:
    async with await TelnetTestClient.connect(server.port) as client:
        name = await client.login()
        [session] = await wired.data.sessions.list_connected()
        assert session.character_name == name

    # The close above is the client's; wait for the server to notice it.
    async def detached() -> bool:
        return (await wired.data.sessions.get_session(session.id)).status is (
            SessionStatus.DETACHED
        )

    await wait_until(detached, what=f"{name}'s session to be detached")
    assert await wired.data.sessions.list_connected() == []
    assert await wired.data.world.find_character_by_name(name) is not None


async def test_a_hostile_connection_does_not_disturb_the_others(server: TelnetServer) -> None:
    """Binary garbage, negotiation storms, over-long lines and a line flood from one
    connection, while another player in the same room keeps talking."""
    rng = random.Random(20261128)  # the same garbage every run
    garbage = [
        bytes(rng.getrandbits(8) for _ in range(64 * 1024)),  # NULs, invalid UTF-8, stray IACs
        bytes([IAC, DO, 1, IAC, WILL, 31, IAC, 250, 24, 1, IAC, 240] * 2000),  # option storm
        b"say " + b"x" * 100_000 + b"\r\n",  # one line far over the limit
        b"".join(f"say flood {n}\r\n".encode() for n in range(500)),  # far over the rate
    ]
    async with (
        await TelnetTestClient.connect(server.port) as attacker,
        await TelnetTestClient.connect(server.port) as bystander,
    ):
        await attacker.login()
        name = await bystander.login()

        async def attack() -> None:
            for chunk in garbage:
                with contextlib.suppress(ConnectionError):  # the server may hang up on it
                    await attacker.send(chunk)

        attacking = asyncio.create_task(attack())
        for n in range(5):
            await bystander.line(f"say still fine {n}")
            await bystander.expect(rf'^{name} says, "still fine {n}"\r\n', timeout=15)
        await attacking
        assert "Traceback" not in bystander.received.decode(errors="replace")
        assert "Traceback" not in attacker.received.decode(errors="replace")
    # The server still takes new players.
    async with await TelnetTestClient.connect(server.port) as newcomer:
        await newcomer.login()
