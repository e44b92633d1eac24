"""Black-box tests of the running host over telnet: real sockets, real plugin processes
(echo-bot, core-scenes, a gadget plugin), real PostgreSQL."""

from __future__ import annotations

import re

import pytest

from holomush_host.app.host import HostApp
from holomush_host.app.summary import startup_summary
from holomush_host.app.tests.fixtures.gadget_plugin import INTERNAL_DETAIL
from holomush_host.commands.errors import PERMISSION_DENIED_MESSAGE
from holomush_host.dispatch.dispatcher import plugin_failed_message
from holomush_host.gateway.tests.client import TelnetTestClient
from holomush_host.plugins.report import PluginState

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCENE_ID = r"scene-[0-9A-Z]{26}"


async def player(host: HostApp) -> tuple[TelnetTestClient, str]:
    assert host.telnet is not None
    client = await TelnetTestClient.connect(host.telnet.port)
    return client, await client.login()


async def test_everything_loaded_and_the_summary_says_where(host: HostApp) -> None:
    status = host.status
    assert {p.name: p.state for p in status.plugins} == {
        "core-scenes": PluginState.RUNNING,
        "echo-bot": PluginState.RUNNING,
        "gadgets": PluginState.RUNNING,
    }
    assert status.wiring_problems == ()
    summary = startup_summary(status)
    assert re.search(
        r"^core-scenes\s+1\.0\.0\s+running\s+holomush\.scene\.v1\.SceneService\s+scene, scenes$",
        summary,
        re.M,
    )
    assert f"Telnet:   127.0.0.1:{host.telnet.port}" in summary  # type: ignore[union-attr]
    assert f"gRPC:     {status.grpc_target}" in summary
    assert re.search(
        r"^  broken: invalid \[MANIFEST_INVALID\]: invalid plugin manifest", summary, re.M
    )


async def test_two_players_see_each_others_speech_and_poses(host: HostApp) -> None:
    alice, alice_name = await player(host)
    bob, bob_name = await player(host)
    async with alice, bob:
        await alice.line("say Hello, Bob!")
        await bob.line(":waves.")
        for client in (alice, bob):  # sent from two connections: either may come first
            await client.expect_all(
                rf'^{alice_name} says, "Hello, Bob!"\r\n', rf"^{bob_name} waves\.\r\n"
            )


async def test_echo_bot_echoes_each_say_exactly_once(host: HostApp) -> None:
    client, name = await player(host)
    async with client:
        await client.line("say hi there")
        await client.expect(rf'^{name} says, "hi there"\r\n')
        await client.expect(r'^echo-bot says, "Echo: hi there"\r\n')
        # echo-bot answers a room's says in order: once the echo of a later say shows,
        # any second echo of the first one would already be here.
        await client.line('"marker')
        await client.expect(r'^echo-bot says, "Echo: marker"\r\n')
        seen = client.received.decode()
        assert seen.count("Echo: hi there") == 1
        assert "Echo: Echo:" not in seen


async def test_help_lists_every_command_with_usage(host: HostApp) -> None:
    client, _ = await player(host)
    async with client:
        await client.line("help")
        listing = (await client.expect(r"Commands:\r\n(?:  .*\r\n)+"))[0]
        for usage in (
            "say <message>",
            "pose <action>",
            "look",
            "who",
            "quit",
            "help [command]",
            "scene <subcommand> [args]",
            "scenes [--tags tag1,tag2]",
            "gadget <verb> [text]",
        ):
            assert f"  {usage} " in listing or f"  {usage}\r\n" in listing, usage
        assert "Manage RP scenes" in listing
        await client.line("help scene")
        await client.expect(r"^Usage: scene <subcommand> \[args\]\r\nManage RP scenes\r\n")


async def test_bad_input_gets_the_right_messages(host: HostApp) -> None:
    client, name = await player(host)
    async with client:
        await client.line("frobnicate")
        await client.expect(r"^\[ERROR\] Unknown command\. Try 'help'\.\r\n")
        await client.line("say " + "x" * 9000)
        await client.expect(r"^Command too long\.\r\n")
        await client.send(b"say \x07bell\r\n")
        await client.expect(r"^\[ERROR\] That command contains characters that cannot be used\.")
        await client.line("say still fine")
        await client.expect(rf'^{name} says, "still fine"')


async def test_denied_commands_through_the_whole_stack(host: HostApp) -> None:
    client, _ = await player(host)
    async with client:
        await client.line("secret")  # no policy lets anyone execute it
        await client.expect(rf"^\[ERROR\] {re.escape(PERMISSION_DENIED_MESSAGE)}\r\n")
        await client.line("sweep")  # global scope: a permit that needs the gadget is not enough
        await client.expect(rf"^\[ERROR\] {re.escape(PERMISSION_DENIED_MESSAGE)}\r\n")
        await client.line("gadget ok hello")  # local scope: allowed, the plugin decides
        await client.expect(r"^Whirr: hello\r\n")


async def test_plugin_statuses_as_players_see_them(host: HostApp) -> None:
    client, name = await player(host)
    async with client:
        await client.line("gadget error sprocket")
        await client.expect(r"^\[ERROR\] No gadget called sprocket\.\r\n")
        await client.line("gadget failure")
        await client.expect(r"^\[ERROR\] The gadget store is down\.\r\n")
        await client.line("gadget fatal")
        await client.expect(rf"^\[ERROR\] {re.escape(plugin_failed_message('gadgets'))}\r\n")
        await client.line("gadget boom")
        await client.expect(rf"^\[ERROR\] {re.escape(plugin_failed_message('gadgets'))}\r\n")
        # The command's event, its answer and echo-bot's echo of the event: the answer
        # and the echo may come in either order.
        await client.line("gadget shout over here")
        await client.expect_all(
            r"^You shout\.\r\n",
            rf'^{name} says, "OVER HERE"\r\n',
            r'^echo-bot says, "Echo: OVER HERE"\r\n',
        )
        seen = client.received.decode()
        assert INTERNAL_DETAIL not in seen
        assert "Traceback" not in seen
        assert "KeyError" not in seen


async def test_scenes_end_to_end(host: HostApp) -> None:
    alice, alice_name = await player(host)
    bob, bob_name = await player(host)
    carol, _ = await player(host)
    async with alice, bob, carol:
        await alice.line("scene create Tea at the inn")
        scene = (await alice.expect(rf"^Scene created: ({SCENE_ID})\r\n"))[1]

        # Bob joins: the scene's streams start flowing to his session at once.
        await bob.line(f"scene join {scene}")
        await bob.expect(rf"^Joined scene {scene}\.\r\n")
        await alice.line("scene pose pours the tea.")
        for client in (alice, bob):
            await client.expect(rf"^\[{scene}\] {alice_name} pours the tea\.\r\n")
        assert "pours the tea" not in carol.pending

        # Only the owner may end it; per-scene rules hold end to end.
        await bob.line(f"scene end {scene}")
        await bob.expect(r"^\[ERROR\] Failed to end scene: only the scene owner can end the scene")
        await bob.line(f"scene invite {scene} {bob_name}")
        await bob.expect(r"^\[ERROR\] Failed to invite")

        # A private scene needs an invitation.
        await alice.line(f"scene set {scene} visibility=private")
        await alice.expect(rf"^Scene {scene} updated: visibility = private\r\n")
        await carol.line(f"scene join {scene}")
        await carol.expect(r"^\[ERROR\] Failed to join scene: .*invit")

        await alice.line(f"scene end {scene}")
        await alice.expect(rf"^Scene {scene} ended\.\r\n")
