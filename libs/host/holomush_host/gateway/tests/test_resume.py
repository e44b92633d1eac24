"""``resume <code>`` over real sockets: a dropped player comes back as the same character,
in the same scenes, sees what was missed (and nothing twice); wrong, ended and busy codes
get one clear line each and change nothing."""

from __future__ import annotations

import json
import re

import pytest

from holomush_host.data.sessions import SessionStatus
from holomush_host.dispatch.tests.helpers import Wired
from holomush_host.gateway import texts
from holomush_host.gateway.connection import TelnetSettings
from holomush_host.gateway.server import TelnetServer
from holomush_host.gateway.tests.client import TelnetTestClient, wait_until
from holomush_host.gateway.tests.expiry import expire_now
from holomush_host.gateway.tests.stage_plugin import STAGE_ACTOR, add_stage


async def scene_pose(wired: Wired, text: str) -> None:
    payload = {"character_name": "Alice", "message": text}
    await wired.data.events.append("scene:scene-7:ic", "pose", STAGE_ACTOR, json.dumps(payload))


async def session_status(wired: Wired, name: str) -> SessionStatus | None:
    character = await wired.data.world.find_character_by_name(name)
    if character is None:
        return None
    session = await wired.data.sessions.find_live_session(character.id)
    return None if session is None else session.status


async def wait_for_status(wired: Wired, name: str, status: SessionStatus | None) -> None:
    async def reached() -> bool:
        return await session_status(wired, name) is status

    await wait_until(reached, what=f"{name}'s session to be {status}")


async def test_a_dropped_player_resumes_in_the_same_scene(
    server: TelnetServer, wired: Wired
) -> None:
    add_stage(wired)
    await scene_pose(wired, "sets the stage.")
    async with await TelnetTestClient.connect(server.port) as watcher:
        watcher_name = await watcher.login()
        player = await TelnetTestClient.connect(server.port)
        name = await player.login()
        code = player.resume_code
        await watcher.expect(rf"^{name} has arrived\.")
        await player.line("enter scene-7")
        await player.expect_all(r"\[scene-7\] Alice sets the stage\.", r"Joined scene scene-7\.")
        await scene_pose(wired, "waves.")
        await player.expect(r"^\[scene-7\] Alice waves\.\r\n")

        player.writer.transport.abort()  # the network drops; no quit
        await watcher.expect(rf"^{name} has disconnected\.\r\n")
        await wait_for_status(wired, name, SessionStatus.DETACHED)
        character = await wired.data.world.find_character_by_name(name)
        assert character is not None
        detached = await wired.data.sessions.find_live_session(character.id)
        assert detached is not None
        assert [(m.kind, m.target_id) for m in detached.focus_memberships] == [("scene", "scene-7")]
        await scene_pose(wired, "missed this.")  # while the player is away
        await watcher.line("who")
        await watcher.expect(rf"Connected \(1\):\r\n  {watcher_name}\r\n")

        async with await TelnetTestClient.connect(server.port) as back:
            assert await back.resume(code) == name
            # What happened while away, then the room; the scene was never re-joined.
            await back.expect(r"^\[scene-7\] Alice missed this\.\r\n")
            await back.expect(r"^The Nexus\r\n")
            await back.expect(rf"^Present: (?=.*{name})(?=.*{watcher_name}).*\r\n")
            await watcher.expect(rf"^{name} has reconnected\.\r\n")
            await scene_pose(wired, "bows.")
            await back.expect(r"^\[scene-7\] Alice bows\.\r\n")
            seen = back.received.decode()
            for shown_before in ("sets the stage.", "waves.", "has arrived", "has disconnected"):
                assert shown_before not in seen, f"{shown_before!r} was shown again"
            assert "reconnected" not in seen  # not told of its own return
            await back.line("who")
            await back.expect(r"Connected \(2\):")
            await back.line("say I am back.")
            await watcher.expect(rf'^{name} says, "I am back\."')
            assert await session_status(wired, name) is SessionStatus.ACTIVE


async def test_resume_refusals_change_nothing(server: TelnetServer, wired: Wired) -> None:
    async with await TelnetTestClient.connect(server.port) as first:
        name = await first.login()
        code = first.resume_code
        async with await TelnetTestClient.connect(server.port) as other:
            await other.expect("Use: connect guest")
            await other.line("resume")
            await other.expect(f"^{re.escape(texts.RESUME_USAGE)}\r\n")
            await other.line("resume AAAAAAAAAAAAAAAAAAAAAA")
            await other.expect(f"^{re.escape(texts.RESUME_UNKNOWN)}\r\n")
            await other.line(f"resume {code}")  # still attached to `first`
            await other.expect(f"^{re.escape(texts.RESUME_IN_USE)}\r\n")
            await other.line("help")
            await other.expect(f"^{re.escape(texts.NOT_CONNECTED_HELP)}\r\n")
            await other.line("connect guest")  # the connection is still usable
            await other.expect(r"You are Guest-\d+\.")
            assert "Traceback" not in other.received.decode()
        # The holder was not disturbed.
        await first.line("say still mine")
        await first.expect(rf'^{name} says, "still mine"')
        assert await session_status(wired, name) is SessionStatus.ACTIVE


async def test_an_expired_or_quit_session_cannot_be_resumed(
    server: TelnetServer, wired: Wired
) -> None:
    quitter = await TelnetTestClient.connect(server.port)
    await quitter.login()
    await quitter.line("quit")
    await quitter.expect_closed()
    await quitter.close()

    dropper = await TelnetTestClient.connect(server.port)
    name = await dropper.login()
    await dropper.close()
    await wait_for_status(wired, name, SessionStatus.DETACHED)
    character = await wired.data.world.find_character_by_name(name)
    assert character is not None
    session = await wired.data.sessions.find_live_session(character.id)
    assert session is not None
    await expire_now(wired.data, session.id)

    async with await TelnetTestClient.connect(server.port) as client:
        await client.expect("Use: connect guest")
        await client.line(f"resume {quitter.resume_code}")
        await client.expect(f"^{re.escape(texts.RESUME_UNKNOWN)}\r\n")
        await client.line(f"resume {dropper.resume_code}")
        await client.expect(f"^{re.escape(texts.RESUME_ENDED)}\r\n")
    assert (await wired.data.sessions.get_session(session.id)).status is SessionStatus.EXPIRED


@pytest.mark.parametrize("settings", [TelnetSettings(max_resume_failures=3)])
async def test_too_many_wrong_codes_close_the_connection(server: TelnetServer) -> None:
    async with await TelnetTestClient.connect(server.port) as client:
        await client.expect("Use: connect guest")
        for attempt in range(3):
            await client.line(f"resume wrong-code-number-{attempt}")
        rest = await client.expect_closed()
        assert rest.count(texts.RESUME_UNKNOWN) == 3
        assert rest.rstrip().endswith(texts.TOO_MANY_RESUME_ATTEMPTS)
