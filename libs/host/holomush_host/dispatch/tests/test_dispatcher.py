"""The dispatcher end to end on the real data layer; only the plugin manager is scripted."""

from __future__ import annotations

import json
import logging

import pytest

from holomush_host.commands.errors import (
    COMMAND_TOO_LONG_MESSAGE,
    INVALID_INPUT_MESSAGE,
    PERMISSION_DENIED_MESSAGE,
    UNKNOWN_COMMAND_MESSAGE,
)
from holomush_host.data.event_types import ActorKind
from holomush_host.data.host_data import HostData
from holomush_host.data.world import location_stream
from holomush_host.dispatch.dispatcher import (
    DEFAULT_COMMAND_TIMEOUT,
    expand_shortcut,
    plugin_failed_message,
    plugin_unavailable_message,
)
from holomush_host.dispatch.ports import PluginCallError, PluginUnavailableError
from holomush_host.dispatch.statuses import FATAL_PLAYER_MESSAGE
from holomush_host.dispatch.tests.helpers import Wired, events_of, new_player, shown, wire
from holomush_host.manifest.parse import parse_manifest
from holomush_sdk.commands import CommandResponse, CommandStatus

GADGETS = """
name: gadgets
version: 1.0.0
type: binary
emits: [location]
resource_types: [gadget]
actions: [use]
binary-plugin: {executable: gadgets}
commands:
  - name: gadget
    aliases: [gd]
    help: Fiddle with gadgets
    usage: gadget <verb>
    capabilities: [{action: use, resource: gadget, scope: local}]
  - name: sweep
    usage: sweep
    capabilities: [{action: use, resource: gadget, scope: global}]
  - name: secret
policies:
  - name: run
    dsl: >-
      permit(principal is character, action in ["execute"], resource is command)
      when { resource.command.name in ["gadget", "sweep"] };
  - name: use-own
    dsl: >-
      permit(principal is character, action in ["use"], resource is gadget)
      when { resource.gadget.owner == principal.id };
"""

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def wired(data: HostData) -> Wired:
    wired = wire(data)
    wired.add_plugin(parse_manifest(GADGETS), {"gadget": {"owner"}})
    return wired


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"hello', ("say hello", False)),
        (":waves.", ("pose waves.", False)),
        (";'s hat", ("pose 's hat", True)),
        ("  :bows", ("pose bows", False)),
        ("look", ("look", False)),
    ],
)
async def test_shortcuts(line: str, expected: tuple[str, bool]) -> None:
    assert expand_shortcut(line) == expected


async def test_unknown_bad_and_empty_lines(wired: Wired) -> None:
    player = await new_player(wired.data)
    for line in ("dance", "   ", "say a\x1bb", "say " + "x" * 9000):
        await wired.dispatcher.dispatch(player, line)
    assert await shown(wired.data, player) == [
        ("command_error", UNKNOWN_COMMAND_MESSAGE),
        ("command_error", INVALID_INPUT_MESSAGE),
        ("command_error", COMMAND_TOO_LONG_MESSAGE),
    ]
    assert wired.plugins.requests == []


async def test_say_and_pose_reach_the_room_in_the_shape_echo_bot_reads(wired: Wired) -> None:
    player = await new_player(wired.data)
    for line in ("say Hello there", '"Hi', "pose waves.", ";'s hat tips."):
        await wired.dispatcher.dispatch(player, line)
    room = [
        e
        for e in await events_of(wired.data, location_stream(player.location_id))
        if e.actor.id == player.character_id
    ]
    assert [(e.type, json.loads(e.payload)) for e in room] == [
        ("say", {"character_name": player.character_name, "message": "Hello there"}),
        ("say", {"character_name": player.character_name, "message": "Hi"}),
        ("pose", {"character_name": player.character_name, "message": "waves."}),
        (
            "pose",
            {"character_name": player.character_name, "message": "'s hat tips.", "no_space": True},
        ),
    ]
    assert {e.actor.kind for e in room} == {ActorKind.CHARACTER}
    assert await shown(wired.data, player) == []


async def test_say_without_a_message(wired: Wired) -> None:
    player = await new_player(wired.data)
    await wired.dispatcher.dispatch(player, "say   ")
    assert await shown(wired.data, player) == [("command_error", "Say what? Usage: say <message>")]


async def test_help_lists_every_command_with_usage(wired: Wired) -> None:
    player = await new_player(wired.data)
    await wired.dispatcher.dispatch(player, "help")
    await wired.dispatcher.dispatch(player, "HELP gd")
    (kind, listing), (_, detail) = await shown(wired.data, player)
    assert kind == "command_response"
    for usage in (
        "gadget <verb>",
        "say <message>",
        "pose <action>",
        "look",
        "who",
        "quit",
        "sweep",
        "secret",
    ):
        assert f"  {usage}" in listing
    assert "Fiddle with gadgets" in listing
    assert detail.splitlines()[:3] == [
        "Usage: gadget <verb>",
        "Fiddle with gadgets",
        "Aliases: gd",
    ]


async def test_look_and_who_show_connected_characters(wired: Wired) -> None:
    alice = await new_player(wired.data)
    bob = await new_player(wired.data)
    gone = await new_player(wired.data)
    await wired.data.sessions.end_session(gone.session_id)
    await wired.dispatcher.dispatch(alice, "look")
    await wired.dispatcher.dispatch(alice, "who")
    (_, look), (_, who) = await shown(wired.data, alice)
    lines = look.splitlines()
    assert lines[0] == "The Nexus"
    [present] = [line for line in lines if line.startswith("Present: ")]
    names = present.removeprefix("Present: ").split(", ")
    assert {alice.character_name, bob.character_name} <= set(names)
    assert gone.character_name not in names
    header, *listed = who.splitlines()
    assert header == f"Connected ({len(listed)}):"
    assert {f"  {alice.character_name}", f"  {bob.character_name}"} <= set(listed)
    assert f"  {gone.character_name}" not in listed


async def test_quit_asks_to_disconnect(wired: Wired) -> None:
    player = await new_player(wired.data)
    assert (await wired.dispatcher.dispatch(player, "QUIT")).disconnect
    assert not (await wired.dispatcher.dispatch(player, "look")).disconnect


async def test_a_plugin_command_gets_the_full_request(wired: Wired) -> None:
    wired.plugins.replies["gadget"] = CommandResponse(CommandStatus.OK, "Whirr.\n")
    player = await new_player(wired.data)
    await wired.dispatcher.dispatch(player, "GD  spin   fast ")
    [(plugin, request, timeout)] = wired.plugins.requests
    assert plugin == "gadgets"
    assert timeout == DEFAULT_COMMAND_TIMEOUT
    assert (request.command, request.args, request.invoked_as) == ("gadget", "spin   fast", "gd")
    assert (request.character_id, request.character_name) == (
        player.character_id,
        player.character_name,
    )
    assert (request.location_id, request.session_id, request.player_id) == (
        player.location_id,
        player.session_id,
        player.player_id,
    )
    assert await shown(wired.data, player) == [("command_response", "Whirr.")]


@pytest.mark.parametrize(
    ("status", "expected_type", "expected_text", "log_level", "activity"),
    [
        (CommandStatus.OK, "command_response", "done", None, True),
        (CommandStatus.ERROR, "command_error", "done", None, True),
        (CommandStatus.FAILURE, "command_error", "done", logging.WARNING, False),
        (CommandStatus.FATAL, "command_error", FATAL_PLAYER_MESSAGE, logging.ERROR, False),
    ],
)
async def test_statuses(
    wired: Wired,
    caplog: pytest.LogCaptureFixture,
    status: CommandStatus,
    expected_type: str,
    expected_text: str,
    log_level: int | None,
    activity: bool,
) -> None:
    player = await new_player(wired.data)
    before = (await wired.data.sessions.get_session(player.session_id)).last_seen_at
    wired.plugins.replies["gadget"] = CommandResponse(status, "done")
    with caplog.at_level(logging.INFO, logger="holomush_host.dispatch"):
        await wired.dispatcher.dispatch(player, "gadget")
    assert await shown(wired.data, player) == [(expected_type, expected_text)]
    after = (await wired.data.sessions.get_session(player.session_id)).last_seen_at
    assert (after > before) is activity
    logged = [r for r in caplog.records if "returned" in r.getMessage()]
    if log_level is None:
        assert logged == []
    else:
        assert [r.levelno for r in logged] == [log_level]
        assert "done" in logged[0].getMessage()  # the plugin's text goes to the log


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (
            PluginUnavailableError("gadgets", "gadgets is restarting"),
            plugin_unavailable_message("gadgets"),
        ),
        (
            PluginCallError("gadgets", "gadgets failed", detail="deadline exceeded"),
            plugin_failed_message("gadgets"),
        ),
    ],
)
async def test_plugin_call_failures_get_a_clear_message(
    wired: Wired, failure: Exception, message: str
) -> None:
    wired.plugins.replies["gadget"] = failure
    player = await new_player(wired.data)
    await wired.dispatcher.dispatch(player, "gadget")
    assert await shown(wired.data, player) == [("command_error", message)]


async def test_an_unexpected_error_never_shows_a_traceback(
    wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(request: object) -> CommandResponse:
        raise KeyError("internal detail")

    wired.plugins.replies["gadget"] = explode
    player = await new_player(wired.data)
    await wired.dispatcher.dispatch(player, "gadget")
    assert await shown(wired.data, player) == [
        ("command_error", "Something went wrong. Try again.")
    ]
    assert any(r.exc_info for r in caplog.records)


async def test_layer_1_denies_a_command_no_policy_permits(wired: Wired) -> None:
    player = await new_player(wired.data)
    await wired.dispatcher.dispatch(player, "secret")
    assert await shown(wired.data, player) == [("command_error", PERMISSION_DENIED_MESSAGE)]
    assert wired.plugins.requests == []


async def test_layer_2_honours_scope(wired: Wired) -> None:
    # "use gadget" is only permitted on one's own gadgets: enough for a local command
    # (the gadget itself is checked later), not for a global one that touches them all.
    wired.plugins.replies["gadget"] = CommandResponse(CommandStatus.OK, "local ok")
    wired.plugins.replies["sweep"] = CommandResponse(CommandStatus.OK, "global ok")
    player = await new_player(wired.data)
    await wired.dispatcher.dispatch(player, "gadget")
    await wired.dispatcher.dispatch(player, "sweep")
    assert await shown(wired.data, player) == [
        ("command_response", "local ok"),
        ("command_error", PERMISSION_DENIED_MESSAGE),
    ]
    assert [request.command for _, request, _ in wired.plugins.requests] == ["gadget"]
    assert wired.plugins.attribute_calls == []  # the pre-flight never resolves a resource


async def test_a_stopped_plugin_is_reported_not_called(wired: Wired) -> None:
    wired.plugins.replies["gadget"] = PluginUnavailableError("gadgets", "not loaded")
    wired.plugins.running.discard("gadgets")
    player = await new_player(wired.data)
    await wired.dispatcher.dispatch(player, "gadget")
    assert await shown(wired.data, player) == [
        ("command_error", plugin_unavailable_message("gadgets"))
    ]
