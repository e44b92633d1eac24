"""The plugin over real gRPC: served as `serve_with_services` serves it (SDK interceptors
included), initialised through PluginService.Init against the real PostgreSQL store, with
a stand-in host for events and focus."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.protobuf.field_mask_pb2 import FieldMask

from core_scenes.plugin import ScenePlugin
from core_scenes.tests.grpc_harness import Served, serve_plugin
from holomush.plugin.v1 import attribute_pb2, attribute_pb2_grpc, plugin_pb2, plugin_pb2_grpc
from holomush.scene.v1 import scene_pb2, scene_pb2_grpc
from holomush_sdk import ACTOR_ID_METADATA_KEY, ACTOR_KIND_METADATA_KEY

_unique = itertools.count()


@dataclass
class Wire:
    served: Served
    scenes: scene_pb2_grpc.SceneServiceAsyncStub
    plugin: plugin_pb2_grpc.PluginServiceAsyncStub
    resolver: attribute_pb2_grpc.AttributeResolverServiceAsyncStub
    alice: str
    bob: str
    carol: str

    async def create(self, owner: str | None = None, **fields: object) -> scene_pb2.SceneInfo:
        request = scene_pb2.CreateSceneRequest(
            character_id=owner or self.alice,
            title=str(fields.pop("title", "Scene")),
            **fields,  # type: ignore[arg-type]
        )
        return (await self.scenes.CreateScene(request)).scene

    async def command(self, character: str, session: str, args: str) -> plugin_pb2.CommandResponse:
        request = plugin_pb2.HandleCommandRequest(
            command=plugin_pb2.CommandRequest(
                command="scene",
                args=args,
                raw_input="scene",
                character_id=character,
                character_name=character.split("-")[1].title(),
                location_id="loc-1",
                session_id=session,
                player_id="player-1",
            )
        )
        metadata = ((ACTOR_KIND_METADATA_KEY, "0"), (ACTOR_ID_METADATA_KEY, character))
        return (await self.plugin.HandleCommand(request, metadata=metadata)).response


@pytest_asyncio.fixture
async def wire(plugin_dsn: str) -> AsyncIterator[Wire]:
    plugin = ScenePlugin()
    async with serve_plugin(plugin) as served:
        plugin_stub = plugin_pb2_grpc.PluginServiceStub(served.channel)  # type: ignore[no-untyped-call]
        await plugin_stub.Init(
            plugin_pb2.InitRequest(
                config=plugin_pb2.ServiceConfig(
                    connection_string=plugin_dsn, required_services=served.host_services
                )
            )
        )
        n = next(_unique)
        try:
            yield Wire(
                served,
                scene_pb2_grpc.SceneServiceStub(served.channel),  # type: ignore[no-untyped-call]
                plugin_stub,
                attribute_pb2_grpc.AttributeResolverServiceStub(served.channel),  # type: ignore[no-untyped-call]
                f"char-alice-{n}",
                f"char-bob-{n}",
                f"char-carol-{n}",
            )
        finally:
            await plugin.close()


async def rpc_error(call: Awaitable[object]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value


async def test_init_requires_a_connection_string() -> None:
    plugin = ScenePlugin()
    async with serve_plugin(plugin) as served:
        stub = plugin_pb2_grpc.PluginServiceStub(served.channel)  # type: ignore[no-untyped-call]
        err = await rpc_error(
            stub.Init(
                plugin_pb2.InitRequest(
                    config=plugin_pb2.ServiceConfig(required_services=served.host_services)
                )
            )
        )
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert err.details() == "SCENE_INIT_FAILED: connection_string is required"
        err = await rpc_error(
            stub.Init(
                plugin_pb2.InitRequest(
                    config=plugin_pb2.ServiceConfig(
                        connection_string="postgresql://nobody@127.0.0.1:1/none?search_path=x",
                        required_services=served.host_services,
                    )
                )
            )
        )
        assert (err.details() or "").startswith("SCENE_INIT_FAILED: cannot open the scene store")


async def test_calls_before_init_are_unavailable() -> None:
    async with serve_plugin(ScenePlugin()) as served:
        stub = scene_pb2_grpc.SceneServiceStub(served.channel)  # type: ignore[no-untyped-call]
        err = await rpc_error(
            stub.GetScene(scene_pb2.GetSceneRequest(character_id="c", scene_id="scene-1"))
        )
        assert err.code() == grpc.StatusCode.UNAVAILABLE


async def test_create_and_get_over_the_wire(wire: Wire) -> None:
    scene = await wire.create(
        title="  Masquerade ",
        description="Masks.",
        visibility="private",
        pose_order_mode="5pr",
        tags=["Gala"],
        content_warnings=["Intrigue"],
        location_id="loc-1",
    )
    assert scene.id.startswith("scene-")
    assert (scene.title, scene.owner_id, scene.state) == ("Masquerade", wire.alice, "active")
    assert (scene.visibility, scene.pose_order_mode) == ("private", "5pr")
    assert (list(scene.tags), list(scene.content_warnings)) == (["gala"], ["Intrigue"])
    assert scene.HasField("created_at")
    assert not scene.HasField("ended_at")
    assert [(p.character_id, p.role) for p in scene.participants] == [(wire.alice, "owner")]
    got = await wire.scenes.GetScene(
        scene_pb2.GetSceneRequest(character_id=wire.alice, scene_id=scene.id)
    )
    assert got.scene == scene
    [event] = wire.served.host.emitted
    assert (event.stream, event.type) == (f"scene:{scene.id}:ooc", "system")
    assert json.loads(event.payload)["kind"] == "scene.lifecycle.created"
    err = await rpc_error(
        wire.scenes.GetScene(scene_pb2.GetSceneRequest(character_id=wire.bob, scene_id=scene.id))
    )
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    err = await rpc_error(
        wire.scenes.GetScene(scene_pb2.GetSceneRequest(character_id=wire.bob, scene_id="scene-x"))
    )
    assert (err.code(), err.details()) == (grpc.StatusCode.NOT_FOUND, "scene not found: scene-x")


@pytest.mark.parametrize(
    ("request_message", "details"),
    [
        (
            scene_pb2.CreateSceneRequest(title="t"),
            "request validation failed: character_id: value length must be at least 1 characters",
        ),
        (
            scene_pb2.CreateSceneRequest(character_id="c", title="t" * 201),
            "request validation failed: title: value length must be at most 200 characters",
        ),
        (
            scene_pb2.CreateSceneRequest(character_id="c", title="t", visibility="hidden"),
            'request validation failed: visibility: value must be one of ["", "open", "private"]',
        ),
        (
            scene_pb2.ListScenesRequest(limit=500),
            "request validation failed: limit: value must be less than or equal to 200",
        ),
        (
            scene_pb2.InviteToSceneRequest(character_id="c", scene_id="s"),
            "request validation failed: target_character_id: value length must be at least 1"
            " characters",
        ),
        (
            scene_pb2.CreateSceneRequest(character_id="c", title="   "),
            "title cannot be whitespace-only",
        ),
    ],
)
async def test_requests_are_validated(wire: Wire, request_message: object, details: str) -> None:
    methods: dict[str, Callable[[Any], Awaitable[object]]] = {
        "CreateSceneRequest": wire.scenes.CreateScene,
        "ListScenesRequest": wire.scenes.ListScenes,
        "InviteToSceneRequest": wire.scenes.InviteToScene,
    }
    method = methods[type(request_message).__name__]
    err = await rpc_error(method(request_message))
    assert (err.code(), err.details()) == (grpc.StatusCode.INVALID_ARGUMENT, details)


async def test_state_machine_over_the_wire(wire: Wire) -> None:
    scene = await wire.create()
    ids = {"character_id": wire.alice, "scene_id": scene.id}
    paused = await wire.scenes.PauseScene(scene_pb2.PauseSceneRequest(**ids))
    assert paused.scene.state == "paused"
    err = await rpc_error(wire.scenes.PauseScene(scene_pb2.PauseSceneRequest(**ids)))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    resumed = await wire.scenes.ResumeScene(scene_pb2.ResumeSceneRequest(**ids))
    assert resumed.scene.state == "active"
    err = await rpc_error(wire.scenes.ResumeScene(scene_pb2.ResumeSceneRequest(**ids)))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    updated = await wire.scenes.UpdateScene(
        scene_pb2.UpdateSceneRequest(**ids, title="Renamed", update_mask=FieldMask(paths=["title"]))
    )
    assert updated.scene.title == "Renamed"
    err = await rpc_error(
        wire.scenes.EndScene(scene_pb2.EndSceneRequest(character_id=wire.bob, scene_id=scene.id))
    )
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    ended = await wire.scenes.EndScene(scene_pb2.EndSceneRequest(**ids))
    assert ended.scene.state == "ended"
    assert ended.scene.HasField("ended_at")
    err = await rpc_error(wire.scenes.EndScene(scene_pb2.EndSceneRequest(**ids)))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    err = await rpc_error(
        wire.scenes.UpdateScene(
            scene_pb2.UpdateSceneRequest(
                **ids, title="Late", update_mask=FieldMask(paths=["title"])
            )
        )
    )
    assert (err.code(), err.details()) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        'scene transition forbidden: scene in state "ended" cannot be updated',
    )
    got = await wire.scenes.GetScene(scene_pb2.GetSceneRequest(**ids))
    assert got.scene.title == "Renamed"
    err = await rpc_error(
        wire.scenes.EndScene(scene_pb2.EndSceneRequest(character_id=wire.alice, scene_id="scene-x"))
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_two_concurrent_ends_over_the_wire(wire: Wire) -> None:
    scene = await wire.create()
    request = scene_pb2.EndSceneRequest(character_id=wire.alice, scene_id=scene.id)
    results = await asyncio.gather(
        wire.scenes.EndScene(request), wire.scenes.EndScene(request), return_exceptions=True
    )
    errors = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(errors) == 1
    assert errors[0].code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_membership_lifecycle_over_the_wire(wire: Wire) -> None:
    scene = await wire.create(visibility="private")
    owner = {"character_id": wire.alice, "scene_id": scene.id}
    err = await rpc_error(
        wire.scenes.JoinScene(scene_pb2.JoinSceneRequest(character_id=wire.bob, scene_id=scene.id))
    )
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    await wire.scenes.InviteToScene(
        scene_pb2.InviteToSceneRequest(**owner, target_character_id=wire.bob)
    )
    await wire.scenes.JoinScene(
        scene_pb2.JoinSceneRequest(character_id=wire.bob, scene_id=scene.id)
    )
    err = await rpc_error(
        wire.scenes.InviteToScene(
            scene_pb2.InviteToSceneRequest(**owner, target_character_id=wire.bob)
        )
    )
    assert err.code() == grpc.StatusCode.ALREADY_EXISTS
    err = await rpc_error(
        wire.scenes.TransferOwnership(
            scene_pb2.TransferOwnershipRequest(**owner, new_owner_character_id=wire.carol)
        )
    )
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    await wire.scenes.KickFromScene(
        scene_pb2.KickFromSceneRequest(**owner, target_character_id=wire.bob)
    )
    await wire.scenes.InviteToScene(
        scene_pb2.InviteToSceneRequest(**owner, target_character_id=wire.bob)
    )
    await wire.scenes.JoinScene(
        scene_pb2.JoinSceneRequest(character_id=wire.bob, scene_id=scene.id)
    )
    await wire.scenes.TransferOwnership(
        scene_pb2.TransferOwnershipRequest(**owner, new_owner_character_id=wire.bob)
    )
    err = await rpc_error(
        wire.scenes.LeaveScene(
            scene_pb2.LeaveSceneRequest(character_id=wire.bob, scene_id=scene.id)
        )
    )
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "owners cannot leave" in (err.details() or "")
    await wire.scenes.LeaveScene(scene_pb2.LeaveSceneRequest(**owner))
    got = await wire.scenes.GetScene(
        scene_pb2.GetSceneRequest(character_id=wire.bob, scene_id=scene.id)
    )
    assert got.scene.owner_id == wire.bob
    assert [(p.character_id, p.role) for p in got.scene.participants] == [(wire.bob, "owner")]


async def test_list_scenes_over_the_wire(wire: Wire) -> None:
    tag = f"t{next(_unique)}"
    first = await wire.create(tags=[tag])
    hidden = await wire.create(visibility="private", tags=[tag])
    third = await wire.create(tags=[tag])
    await wire.scenes.PauseScene(
        scene_pb2.PauseSceneRequest(character_id=wire.alice, scene_id=third.id)
    )
    listed = await wire.scenes.ListScenes(
        scene_pb2.ListScenesRequest(character_id=wire.bob, tags=[tag])
    )
    assert [s.id for s in listed.scenes] == [third.id, first.id]
    mine = await wire.scenes.ListScenes(
        scene_pb2.ListScenesRequest(character_id=wire.alice, tags=[tag], state="active")
    )
    assert [s.id for s in mine.scenes] == [hidden.id, first.id]
    page = await wire.scenes.ListScenes(
        scene_pb2.ListScenesRequest(character_id=wire.alice, tags=[tag], limit=1, offset=1)
    )
    assert [s.id for s in page.scenes] == [hidden.id]


async def test_commands_drive_focus_poses_and_pose_order(wire: Wire) -> None:
    created = await wire.command(wire.alice, "sess-a", "create The Docks")
    assert created.status == plugin_pb2.COMMAND_STATUS_OK
    scene_id = created.output.removeprefix("Scene created: ")
    host = wire.served.host
    assert host.focus_calls == [("JoinFocus", "sess-a", plugin_pb2.FOCUS_KIND_SCENE, scene_id)]
    await wire.command(wire.alice, "sess-a", f"set {scene_id} pose_order_mode=strict")

    switched = await wire.command(wire.bob, "sess-b", f"switch {scene_id}")
    assert switched.status == plugin_pb2.COMMAND_STATUS_ERROR
    assert switched.output == (
        f"You are not a member of scene {scene_id}. Use `scene join {scene_id}` first."
    )
    joined = await wire.command(wire.bob, "sess-b", f"join {scene_id}")
    assert joined.output == f"Joined scene {scene_id}."
    again = await wire.command(wire.bob, "sess-b", f"join {scene_id}")  # FOCUS_ALREADY_MEMBER
    assert (again.status, again.output) == (
        plugin_pb2.COMMAND_STATUS_OK,
        f"Joined scene {scene_id}.",
    )

    out_of_turn = await wire.command(wire.bob, "sess-b", "pose leans on a crate.")
    assert out_of_turn.output == (
        "Failed to pose: it is not your turn to pose (pose order strict; next: Alice)"
    )
    assert (await wire.command(wire.alice, "sess-a", "pose lights a lamp.")).output == ""
    order = await wire.scenes.GetPoseOrder(
        scene_pb2.GetPoseOrderRequest(character_id=wire.bob, scene_id=scene_id)
    )
    assert order.mode == "strict"
    assert [(e.character_id, e.character_name, e.is_eligible) for e in order.entries] == [
        (wire.alice, "Alice", False),
        (wire.bob, "Bob", True),
    ]
    assert order.entries[0].HasField("last_posed_at")
    assert (await wire.command(wire.bob, "sess-b", "pose leans on a crate.")).output == ""

    poses = [e for e in host.emitted if e.stream == f"scene:{scene_id}:ic"]
    assert [(e.type, e.actor_id, json.loads(e.payload)["message"]) for e in poses] == [
        ("pose", wire.alice, "lights a lamp."),
        ("pose", wire.bob, "leans on a crate."),
    ]
    log = await wire.command(wire.alice, "sess-a", f"log {scene_id}")
    assert log.output == (
        f"Log of scene The Docks ({scene_id}), last 2 pose(s):\n"
        "Alice lights a lamp.\n"
        "Bob leans on a crate."
    )
    left = await wire.command(wire.bob, "sess-b", f"leave {scene_id}")
    assert left.output == f"Left scene {scene_id}."
    assert host.memberships["sess-b"] == set()


async def test_publish_vote_reports_consent(wire: Wire) -> None:
    scene = await wire.create()
    await wire.scenes.JoinScene(
        scene_pb2.JoinSceneRequest(character_id=wire.bob, scene_id=scene.id)
    )
    await wire.scenes.EndScene(
        scene_pb2.EndSceneRequest(character_id=wire.alice, scene_id=scene.id)
    )

    async def vote(who: str, yes: bool) -> tuple[int, int, bool]:
        reply = await wire.scenes.CastPublishVote(
            scene_pb2.CastPublishVoteRequest(character_id=who, scene_id=scene.id, vote=yes)
        )
        return reply.yes_votes, reply.participants, reply.published

    assert await vote(wire.alice, True) == (1, 2, False)
    assert await vote(wire.bob, True) == (2, 2, True)
    err = await rpc_error(
        wire.scenes.CastPublishVote(
            scene_pb2.CastPublishVoteRequest(character_id=wire.bob, scene_id=scene.id, vote=False)
        )
    )
    assert (err.code(), err.details()) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "scene is already published",
    )
    resolved = await wire.resolver.ResolveResource(
        attribute_pb2.ResolveResourceRequest(resource_type="scene", resource_id=scene.id)
    )
    assert resolved.attributes["published"].bool_value is True


async def test_attribute_resolver_over_the_wire(wire: Wire) -> None:
    schema = await wire.resolver.GetSchema(attribute_pb2.GetSchemaRequest())
    attributes = schema.resource_types["scene"].attributes
    assert attributes["owner"] == attribute_pb2.ATTRIBUTE_TYPE_STRING
    assert attributes["participants"] == attribute_pb2.ATTRIBUTE_TYPE_STRING_LIST
    scene = await wire.create(visibility="private")
    await wire.scenes.InviteToScene(
        scene_pb2.InviteToSceneRequest(
            character_id=wire.alice, scene_id=scene.id, target_character_id=wire.bob
        )
    )
    resolved = (
        await wire.resolver.ResolveResource(
            attribute_pb2.ResolveResourceRequest(resource_type="scene", resource_id=scene.id)
        )
    ).attributes
    assert resolved["owner"].string_value == wire.alice
    assert resolved["state"].string_value == "active"
    assert resolved["visibility"].string_value == "private"
    assert list(resolved["participants"].string_list_value.values) == [wire.alice]
    assert list(resolved["invitees"].string_list_value.values) == [wire.bob]
    err = await rpc_error(
        wire.resolver.ResolveResource(
            attribute_pb2.ResolveResourceRequest(resource_type="widget", resource_id=scene.id)
        )
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "scene" in (err.details() or "")
    err = await rpc_error(
        wire.resolver.ResolveResource(
            attribute_pb2.ResolveResourceRequest(resource_type="scene", resource_id="scene-x")
        )
    )
    assert (err.code(), err.details()) == (grpc.StatusCode.NOT_FOUND, "scene not found: scene-x")
