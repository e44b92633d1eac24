"""Every text of the ``scene`` and ``scenes`` commands, through `ScenePlugin.handle_command`
on the real PostgreSQL store; the host side (focus, event sink) is faked."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from core_scenes.command_text import KNOWN_SUBCOMMANDS
from core_scenes.errors import SceneError, SceneErrorCode
from core_scenes.model import ParticipantRole
from core_scenes.pg_store import PostgresSceneStore
from core_scenes.plugin import ScenePlugin
from core_scenes.tests.fakes import (
    FakeFocusClient,
    InMemorySceneStore,
    RecordingSink,
    focus_error,
    host_refusal,
)
from holomush_sdk import (
    ActorKind,
    CommandRequest,
    CommandResponse,
    CommandStatus,
    Event,
    FocusErrorCode,
    FocusKey,
    FocusKind,
)

OK, ERROR, FAILURE = CommandStatus.OK, CommandStatus.ERROR, CommandStatus.FAILURE
_unique = itertools.count()
KNOWN = ", ".join(KNOWN_SUBCOMMANDS)


@dataclass
class Player:
    plugin: ScenePlugin
    character_id: str
    name: str
    session_id: str

    async def run(self, args: str, command: str = "scene") -> CommandResponse:
        return await self.plugin.handle_command(
            CommandRequest(
                command=command,
                args=args,
                character_id=self.character_id,
                character_name=self.name,
                location_id="loc-1",
                session_id=self.session_id,
                player_id=f"player-{self.character_id}",
                invoked_as=command,
            )
        )

    async def create(self, title: str = "A New Scene") -> str:
        response = await self.run(f"create {title}")
        assert response.status == OK, response.output
        return response.output.splitlines()[0].removeprefix("Scene created: ")


@dataclass
class World:
    plugin: ScenePlugin
    store: PostgresSceneStore
    sink: RecordingSink
    focus: FakeFocusClient
    alice: Player
    bob: Player
    carol: Player


@pytest_asyncio.fixture
async def world(pg_store: PostgresSceneStore) -> AsyncIterator[World]:
    plugin = ScenePlugin(pg_store)
    sink, focus = RecordingSink(), FakeFocusClient()
    plugin.set_event_sink(sink)
    plugin.set_focus_client(focus)
    n = next(_unique)
    players = [
        Player(plugin, f"char-{name.lower()}-{n}", name, f"sess-{name.lower()}-{n}")
        for name in ("Alice", "Bob", "Carol")
    ]
    yield World(plugin, pg_store, sink, focus, *players)


def scene_key(scene_id: str) -> FocusKey:
    return FocusKey(FocusKind.SCENE, scene_id)


def expect(response: CommandResponse, status: CommandStatus, output: str) -> None:
    assert (response.status, response.output) == (status, output)


# --- dispatch ------------------------------------------------------------------------


async def test_missing_and_unknown_subcommands(world: World) -> None:
    expect(
        await world.alice.run("   "),
        ERROR,
        f"Usage: scene <subcommand> [args]\nKnown subcommands: {KNOWN}",
    )
    expect(
        await world.alice.run("dance wildly"),
        ERROR,
        f'Unknown scene subcommand "dance". Known subcommands: {KNOWN}.',
    )
    expect(
        await world.alice.run("", command="sing"),
        ERROR,
        'core-scenes does not handle command "sing"',
    )


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        ("create", "Usage: scene create <title>"),
        ("info", "Usage: scene info <scene id>"),
        ("info a b", "Usage: scene info <scene id>"),
        ("end", "Usage: scene end <scene id>"),
        ("pause", "Usage: scene pause <scene id>"),
        ("resume a b", "Usage: scene resume <scene id>"),
        ("archive", "Usage: scene archive <scene id>"),
        ("set", "Usage: scene set <scene id> field=value"),
        ("set scene-1", "Usage: scene set <scene id> field=value"),
        ("set scene-1 title", "Usage: scene set <scene id> field=value"),
        ("set scene-1 =x", "Usage: scene set <scene id> field=value"),
        ("join", "Usage: scene join <scene id>"),
        ("join a b", "Usage: scene join <scene id>"),
        ("leave", "Usage: scene leave <scene id>"),
        ("leave a b", "Usage: scene leave <scene id>"),
        ("invite a", "Usage: scene invite <scene id> <character>"),
        ("invite a b c", "Usage: scene invite <scene id> <character>"),
        ("kick a", "Usage: scene kick <scene id> <character>"),
        ("kick a b c", "Usage: scene kick <scene id> <character>"),
        ("transfer a", "Usage: scene transfer <scene id> <character>"),
        ("transfer a b c", "Usage: scene transfer <scene id> <character>"),
        ("switch", "Usage: scene switch <scene id>"),
        ("switch a b", "Usage: scene switch <scene id>"),
        ("pose", "Usage: scene pose <text>"),
        ("log", "Usage: scene log <scene id> [count]"),
        ("log a 1 2", "Usage: scene log <scene id> [count]"),
        ("vote a", "Usage: scene vote <scene id> yes|no"),
        ("vote a maybe", "Usage: scene vote <scene id> yes|no"),
    ],
)
async def test_usage_errors(world: World, args: str, usage: str) -> None:
    expect(await world.alice.run(args), ERROR, usage)
    assert world.focus.calls == []


# --- create / info / set -------------------------------------------------------------


async def test_create_joins_the_focus_and_info_describes_the_scene(world: World) -> None:
    response = await world.alice.run("create   A New Scene  ")
    assert response.status == OK
    assert response.output.startswith("Scene created: scene-")
    scene_id = response.output.removeprefix("Scene created: ")
    assert world.focus.calls == [("join_focus", world.alice.session_id, scene_key(scene_id))]
    expect(
        await world.bob.run(f"info {scene_id}"),
        OK,
        f"Scene: A New Scene ({scene_id})\n"
        f"Owner: {world.alice.character_id}\n"
        "State: active\n"
        "Visibility: open\n"
        "Pose order: free\n"
        "Participants: Alice (owner)\n",
    )


async def test_create_reports_a_failed_subscription_without_host_details(world: World) -> None:
    world.focus.errors["join_focus"] = focus_error(FocusErrorCode.SESSION_EXPIRED)
    response = await world.alice.run("create Storm")
    assert response.status == OK
    first, second = response.output.split("\n")
    scene_id = first.removeprefix("Scene created: ")
    assert second == (
        "Your session could not subscribe to it (your session has expired [SESSION_EXPIRED])."
        f" Use `scene join {scene_id}` to retry."
    )


async def test_create_is_validated_like_the_rpc(world: World) -> None:
    response = await world.alice.run("create " + "x" * 201)
    expect(
        response,
        ERROR,
        "Failed to create scene: request validation failed: title: value length must be at"
        " most 200 characters",
    )


async def test_info_of_a_missing_or_private_scene(world: World) -> None:
    expect(
        await world.alice.run("info scene-nope"),
        ERROR,
        "Failed to get scene: scene not found: scene-nope",
    )
    scene_id = await world.alice.create()
    await world.alice.run(f"set {scene_id} visibility=private")
    expect(
        await world.bob.run(f"info {scene_id}"),
        ERROR,
        f"Failed to get scene: scene {scene_id} is private and you are not a participant or"
        " invitee",
    )


async def test_set_each_field(world: World) -> None:
    scene_id = await world.alice.create()
    expect(
        await world.alice.run(f"set {scene_id} title = New Title"),
        OK,
        f"Scene {scene_id} updated: title = New Title",
    )
    await world.alice.run(f"set {scene_id} description=Rain on the docks.")
    await world.alice.run(f"set {scene_id} location_id=loc-9")
    await world.alice.run(f"set {scene_id} pose_order_mode=strict")
    await world.alice.run(f"set {scene_id} tags=Noir, docks")
    await world.alice.run(f"set {scene_id} content_warnings=Violence")
    info = await world.alice.run(f"info {scene_id}")
    assert info.output.splitlines()[0] == f"Scene: New Title ({scene_id})"
    for line in (
        "Description: Rain on the docks.",
        "Location: loc-9",
        "Pose order: strict",
        "Tags: noir, docks",
        "Content warnings: Violence",
    ):
        assert line in info.output.splitlines()


async def test_set_errors(world: World) -> None:
    scene_id = await world.alice.create()
    expect(
        await world.alice.run(f"set {scene_id} bogus=foo"),
        ERROR,
        'unknown field "bogus". Known fields: title, description, visibility,'
        " pose_order_mode, location_id, tags, content_warnings",
    )
    expect(
        await world.alice.run(f"set {scene_id} visibility=foo"),
        ERROR,
        "Failed to update scene: request validation failed: visibility: value must be one of"
        ' ["", "open", "private"]',
    )
    expect(
        await world.alice.run(f"set {scene_id} title=   "),
        ERROR,
        "Failed to update scene: title cannot be empty or whitespace-only",
    )
    expect(
        await world.bob.run(f"set {scene_id} title=Mine"),
        ERROR,
        "Failed to update scene: only the scene owner can update the scene",
    )


# --- lifecycle -----------------------------------------------------------------------


async def test_end_pause_resume_archive(world: World) -> None:
    scene_id = await world.alice.create()
    expect(await world.alice.run(f"pause {scene_id}"), OK, f"Scene {scene_id} paused.")
    expect(
        await world.alice.run(f"pause {scene_id}"),
        ERROR,
        'Failed to pause scene: scene transition forbidden: scene in state "paused" cannot be'
        " paused",
    )
    expect(await world.alice.run(f"resume {scene_id}"), OK, f"Scene {scene_id} resumed.")
    expect(
        await world.alice.run(f"resume {scene_id}"),
        ERROR,
        'Failed to resume scene: scene transition forbidden: scene in state "active" cannot be'
        " resumed",
    )
    expect(
        await world.alice.run(f"archive {scene_id}"),
        ERROR,
        'Failed to archive scene: scene transition forbidden: scene in state "active" cannot be'
        " archived",
    )
    expect(
        await world.bob.run(f"end {scene_id}"),
        ERROR,
        "Failed to end scene: only the scene owner can end the scene",
    )
    world.focus.calls.clear()
    expect(await world.alice.run(f"end {scene_id}"), OK, f"Scene {scene_id} ended.")
    assert world.focus.calls == [("leave_focus", world.alice.session_id, scene_key(scene_id))]
    expect(await world.alice.run(f"archive {scene_id}"), OK, f"Scene {scene_id} archived.")
    expect(
        await world.alice.run("end scene-nope"),
        ERROR,
        "Failed to end scene: scene not found: scene-nope",
    )


async def test_end_succeeds_when_leaving_the_focus_fails_or_is_unavailable(world: World) -> None:
    scene_id = await world.alice.create()
    world.focus.errors["leave_focus"] = focus_error(None, "leave focus")
    expect(await world.alice.run(f"end {scene_id}"), OK, f"Scene {scene_id} ended.")
    other = await world.alice.create()
    world.plugin.focus = None
    expect(await world.alice.run(f"end {other}"), OK, f"Scene {other} ended.")


# --- membership ----------------------------------------------------------------------


async def test_join_subscribes_the_session(world: World) -> None:
    scene_id = await world.alice.create()
    world.focus.calls.clear()
    expect(await world.bob.run(f"join {scene_id}"), OK, f"Joined scene {scene_id}.")
    assert world.focus.calls == [("join_focus", world.bob.session_id, scene_key(scene_id))]
    scene = await world.store.get(scene_id)
    assert scene.role_of(world.bob.character_id) is ParticipantRole.MEMBER


async def test_join_of_a_missing_scene_makes_no_focus_call(world: World) -> None:
    expect(
        await world.bob.run("join scene-nope"),
        ERROR,
        "Failed to join scene: scene not found: scene-nope",
    )
    assert world.focus.calls == []


async def test_join_when_the_focus_fails(world: World) -> None:
    scene_id = await world.alice.create()
    world.focus.errors["join_focus"] = focus_error(FocusErrorCode.FOCUS_POLICY_FAILED)
    response = await world.bob.run(f"join {scene_id}")
    expect(
        response,
        ERROR,
        "Joined scene in database, but your session could not subscribe (the server refused"
        f" the subscription [FOCUS_POLICY_FAILED]). Please retry `scene join {scene_id}`.",
    )
    assert "host detail" not in response.output
    world.focus.errors["join_focus"] = focus_error(FocusErrorCode.FOCUS_ALREADY_MEMBER)
    expect(await world.bob.run(f"join {scene_id}"), OK, f"Joined scene {scene_id}.")


async def test_join_without_a_focus_client(world: World) -> None:
    scene_id = await world.alice.create()
    world.plugin.focus = None
    response = await world.bob.run(f"join {scene_id}")
    expect(
        response,
        ERROR,
        "Joined scene in database, but your session could not subscribe (focus client not"
        " configured — this is a server configuration error, please contact an administrator).",
    )
    assert "retry" not in response.output


async def test_private_scene_invite_and_join(world: World) -> None:
    scene_id = await world.alice.create()
    await world.alice.run(f"set {scene_id} visibility=private")
    expect(
        await world.bob.run(f"join {scene_id}"),
        ERROR,
        "Failed to join scene: character not invited to private scene",
    )
    bob = world.bob.character_id
    expect(
        await world.alice.run(f"invite {scene_id} {bob}"),
        OK,
        f"Invited {bob} to scene {scene_id}.",
    )
    assert (await world.store.get(scene_id)).role_of(bob) is ParticipantRole.INVITED
    expect(
        await world.bob.run(f"invite {scene_id} {world.carol.character_id}"),
        ERROR,
        "Failed to invite: only the scene owner can invite to the scene",
    )
    expect(await world.bob.run(f"join {scene_id}"), OK, f"Joined scene {scene_id}.")
    expect(
        await world.alice.run(f"invite {scene_id} {bob}"),
        ERROR,
        "Failed to invite: character is already a member of this scene",
    )


async def test_leave(world: World) -> None:
    scene_id = await world.alice.create()
    await world.bob.run(f"join {scene_id}")
    world.focus.calls.clear()
    expect(await world.bob.run(f"leave {scene_id}"), OK, f"Left scene {scene_id}.")
    assert world.focus.calls == [("leave_focus", world.bob.session_id, scene_key(scene_id))]
    world.focus.calls.clear()
    expect(
        await world.alice.run(f"leave {scene_id}"),
        ERROR,
        "Failed to leave scene: scene owners cannot leave; use `scene end` to terminate the"
        " scene or transfer ownership first",
    )
    assert world.focus.calls == []
    await world.bob.run(f"join {scene_id}")
    world.focus.errors["leave_focus"] = focus_error(None, "leave focus")
    expect(await world.bob.run(f"leave {scene_id}"), OK, f"Left scene {scene_id}.")
    expect(
        await world.bob.run(f"leave {scene_id}"),
        ERROR,
        "Failed to leave scene: character not in scene",
    )


async def test_leaving_an_ended_scene_only_stops_following_it(world: World) -> None:
    scene_id = await world.alice.create()
    await world.bob.run(f"join {scene_id}")
    await world.alice.run(f"end {scene_id}")
    world.focus.calls.clear()
    expect(
        await world.bob.run(f"leave {scene_id}"),
        OK,
        f"Scene {scene_id} is over; your session no longer follows it.",
    )
    assert world.focus.calls == [("leave_focus", world.bob.session_id, scene_key(scene_id))]
    assert (await world.store.get(scene_id)).is_participant(world.bob.character_id)


async def test_kick_and_transfer(world: World) -> None:
    scene_id = await world.alice.create()
    bob = world.bob.character_id
    await world.bob.run(f"join {scene_id}")
    expect(
        await world.alice.run(f"transfer {scene_id} {world.carol.character_id}"),
        ERROR,
        "Failed to transfer ownership: transfer target must be an existing member of the scene",
    )
    expect(
        await world.alice.run(f"transfer {scene_id} {bob}"),
        OK,
        f"Transferred ownership of scene {scene_id} to {bob}.",
    )
    expect(
        await world.alice.run(f"kick {scene_id} {bob}"),
        ERROR,
        "Failed to kick: only the scene owner can kick from the scene",
    )
    alice = world.alice.character_id
    expect(
        await world.bob.run(f"kick {scene_id} {alice}"),
        OK,
        f"Removed {alice} from scene {scene_id}.",
    )
    expect(
        await world.bob.run(f"kick {scene_id} {alice}"),
        ERROR,
        "Failed to kick: target not in scene",
    )
    expect(
        await world.bob.run(f"kick {scene_id} {bob}"),
        ERROR,
        "Failed to kick: scene owner cannot be kicked",
    )


async def test_switch(world: World) -> None:
    expect(await world.alice.run("switch scene-01"), OK, "Switched to scene scene-01.")
    assert world.focus.calls == [("present_focus", world.alice.session_id, scene_key("scene-01"))]
    world.focus.errors["present_focus"] = focus_error(FocusErrorCode.FOCUS_NOT_MEMBER)
    expect(
        await world.alice.run("switch scene-01"),
        ERROR,
        "You are not a member of scene scene-01. Use `scene join scene-01` first.",
    )
    world.focus.errors["present_focus"] = focus_error(FocusErrorCode.SESSION_NOT_FOUND)
    expect(
        await world.alice.run("switch scene-01"),
        ERROR,
        "Failed to switch scene: your session was not found [SESSION_NOT_FOUND]",
    )
    world.plugin.focus = None
    expect(
        await world.alice.run("switch scene-01"),
        ERROR,
        "Failed to switch scene: focus client not configured",
    )


# --- pose, log, vote -----------------------------------------------------------------


async def test_pose_goes_to_the_current_scene(world: World) -> None:
    scene_id = await world.alice.create()
    expect(await world.alice.run("pose draws her sword."), OK, "")
    [intent] = world.sink.on(f"scene:{scene_id}:ic")
    assert intent.type == "pose"
    payload = json.loads(intent.payload)
    assert (payload["character_name"], payload["message"]) == ("Alice", "draws her sword.")


async def test_pose_picks_the_only_active_scene_or_asks(world: World) -> None:
    expect(
        await world.carol.run("pose waves."),
        ERROR,
        "You are not in an active scene. Use `scene join <scene id>` first.",
    )
    first = await world.alice.create()
    await world.carol.run(f"join {first}")
    world.plugin.commands._current.forget(world.carol.session_id, first)  # a restarted plugin
    expect(await world.carol.run("pose waves."), OK, "")
    assert len(world.sink.on(f"scene:{first}:ic")) == 1
    second = await world.alice.create()
    await world.carol.run(f"join {second}")
    world.plugin.commands._current.forget(world.carol.session_id, second)
    world.plugin.commands._current.forget(world.carol.session_id, first)
    response = await world.carol.run("pose waves again.")
    assert response.status == ERROR
    assert response.output.startswith("You are in several active scenes (")
    assert first in response.output
    assert second in response.output
    expect(await world.carol.run(f"switch {first}"), OK, f"Switched to scene {first}.")
    expect(await world.carol.run("pose waves again."), OK, "")
    assert len(world.sink.on(f"scene:{first}:ic")) == 2


async def test_pose_order_is_enforced(world: World) -> None:
    scene_id = await world.alice.create()
    await world.alice.run(f"set {scene_id} pose_order_mode=strict")
    await world.bob.run(f"join {scene_id}")
    expect(
        await world.bob.run("pose jumps in."),
        ERROR,
        "Failed to pose: it is not your turn to pose (pose order strict; next: Alice)",
    )
    expect(await world.alice.run("pose opens the door."), OK, "")
    expect(await world.bob.run("pose jumps in."), OK, "")
    await world.alice.run(f"pause {scene_id}")
    expect(
        await world.alice.run("pose waits."),
        ERROR,
        'Failed to pose: scene in state "paused" cannot be posed in',
    )


async def test_log_shows_recent_poses(world: World) -> None:
    scene_id = await world.alice.create("Harbour")
    expect(await world.alice.run(f"log {scene_id}"), OK, f"No poses in scene {scene_id} yet.")
    stream = f"scene:{scene_id}:ic"
    world.focus.history = [
        Event(
            "e1",
            stream,
            "pose",
            1,
            ActorKind.CHARACTER,
            "c1",
            json.dumps({"character_name": "Alice", "message": "looks out to sea."}),
        ),
        Event(
            "e2",
            stream,
            "say",
            2,
            ActorKind.CHARACTER,
            "c2",
            json.dumps({"character_name": "Bob", "message": "Ship ahoy!"}),
        ),
        Event("e3", stream, "pose", 3, ActorKind.CHARACTER, "c1", "not json"),
    ]
    expect(
        await world.alice.run(f"log {scene_id} 5"),
        OK,
        f"Log of scene Harbour ({scene_id}), last 2 pose(s):\n"
        "Alice looks out to sea.\n"
        'Bob says, "Ship ahoy!"',
    )
    assert world.focus.history_requests[-1].count == 5
    assert world.focus.history_requests[-1].stream == stream
    expect(
        await world.alice.run(f"log {scene_id} 101"),
        ERROR,
        "The count must be a number from 1 to 100.",
    )
    expect(
        await world.bob.run(f"log {scene_id}"),
        ERROR,
        "Failed to read scene log: only participants can read the log of an unpublished scene",
    )
    world.focus.history_error = host_refusal("stream history failed: db down")
    response = await world.alice.run(f"log {scene_id}")
    expect(
        response,
        FAILURE,
        "Failed to read scene log: the server could not provide it; please try again later.",
    )


async def test_vote_to_publish(world: World) -> None:
    scene_id = await world.alice.create()
    await world.bob.run(f"join {scene_id}")
    expect(
        await world.alice.run(f"vote {scene_id} yes"),
        ERROR,
        'Failed to vote: publish votes open once the scene has ended (it is "active")',
    )
    await world.alice.run(f"end {scene_id}")
    expect(
        await world.alice.run(f"vote {scene_id} yes"),
        OK,
        f"Vote recorded: yes. Publish consent for scene {scene_id}: 1 of 2 participants.",
    )
    expect(
        await world.bob.run(f"vote {scene_id} no"),
        OK,
        f"Vote recorded: no. Publish consent for scene {scene_id}: 1 of 2 participants (1 against).",
    )
    expect(
        await world.carol.run(f"vote {scene_id} yes"),
        ERROR,
        "Failed to vote: only participants of the scene can vote on publishing the scene",
    )
    expect(
        await world.bob.run(f"vote {scene_id} YES"),
        OK,
        f"Vote recorded: yes. All 2 participants consented; scene {scene_id} is now published.",
    )
    world.focus.history = []
    expect(await world.carol.run(f"log {scene_id}"), OK, f"No poses in scene {scene_id} yet.")


# --- scenes --------------------------------------------------------------------------


async def test_scenes_lists_running_scenes_by_tag(world: World) -> None:
    tag = f"tag{next(_unique)}"
    expect(
        await world.carol.run(f"--tags {tag}", command="scenes"),
        OK,
        f"No open scenes tagged {tag}.",
    )
    first = await world.alice.create("Harbour")
    await world.alice.run(f"set {first} tags={tag}, noir")
    await world.bob.run(f"join {first}")
    second = await world.alice.create("Market")
    await world.alice.run(f"set {second} tags={tag}")
    await world.alice.run(f"set {second} visibility=private")
    ended = await world.alice.create("Old")
    await world.alice.run(f"set {ended} tags={tag}")
    await world.alice.run(f"end {ended}")
    expect(
        await world.carol.run(f"--tags {tag}", command="scenes"),
        OK,
        f"Open scenes tagged {tag}:\n"
        f"  {first}  Harbour  (active; open; 2 participants; tags: {tag}, noir)",
    )
    expect(
        await world.alice.run(f"--tags={tag},noir", command="scenes"),
        OK,
        f"Open scenes tagged {tag}, noir:\n"
        f"  {first}  Harbour  (active; open; 2 participants; tags: {tag}, noir)",
    )
    listed = await world.alice.run(f"--tags {tag}", command="scenes")
    assert listed.output.splitlines()[1].startswith(
        f"  {second}  Market  (active; private; 1 participant;"
    )
    everything = await world.carol.run("", command="scenes")
    assert everything.status == OK
    assert everything.output.startswith("Open scenes:\n")
    for bad in ("--tags", "--tags ,", "--colour red", "tags a"):
        expect(
            await world.carol.run(bad, command="scenes"),
            ERROR,
            "Usage: scenes [--tags tag1,tag2]",
        )


# --- failures never leak ---------------------------------------------------------------


async def test_store_failures_reach_the_player_as_a_generic_failure() -> None:
    store = InMemorySceneStore()
    plugin = ScenePlugin(store)
    plugin.set_event_sink(RecordingSink())
    player = Player(plugin, "char-x", "X", "sess-x")
    store.fail_with = SceneError(
        SceneErrorCode.STORE_FAILED, "failed to get scene: connection to 10.0.0.5 refused"
    )
    expect(
        await player.run("info scene-1"),
        FAILURE,
        "Failed to get scene: something went wrong on the server; please try again later.",
    )


async def test_unexpected_errors_reach_the_player_as_a_generic_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plugin = ScenePlugin(InMemorySceneStore())
    player = Player(plugin, "char-x", "X", "sess-x")

    async def explode(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(plugin.service, "get_scene", explode)
    expect(
        await player.run("info scene-1"),
        FAILURE,
        "Something went wrong running `scene info`; please try again later.",
    )
