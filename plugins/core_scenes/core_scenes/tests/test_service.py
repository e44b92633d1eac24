"""SceneService logic against an in-memory store (the author guide's unit-test pattern)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from core_scenes.errors import SceneError, SceneErrorCode
from core_scenes.model import ParticipantRole, SceneState
from core_scenes.service import SceneService
from core_scenes.service_errors import SceneServiceError
from core_scenes.tests.fakes import InMemorySceneStore, RecordingSink, host_refusal
from holomush.scene.v1 import scene_pb2

ALICE, BOB, CAROL = "char-alice", "char-bob", "char-carol"


@dataclass
class Harness:
    service: SceneService
    store: InMemorySceneStore
    sink: RecordingSink

    async def create(self, owner: str = ALICE, **fields: object) -> scene_pb2.SceneInfo:
        request = scene_pb2.CreateSceneRequest(character_id=owner, title="A scene", **fields)  # type: ignore[arg-type]
        return (await self.service.create_scene(request)).scene


@pytest.fixture
def h() -> Harness:
    store, sink = InMemorySceneStore(), RecordingSink()
    return Harness(SceneService(store, sink), store, sink)


async def fails(call: object, status: grpc.StatusCode, contains: str = "") -> SceneServiceError:
    with pytest.raises(SceneServiceError) as err:
        await call  # type: ignore[misc]
    assert err.value.status == status, err.value
    assert contains in err.value.message
    return err.value


# --- CreateScene ---------------------------------------------------------------------


async def test_create_trims_the_title_and_defaults(h: Harness) -> None:
    response = await h.service.create_scene(
        scene_pb2.CreateSceneRequest(character_id=ALICE, title="  A New Scene  "),
        caller_name="Alice",
    )
    scene = response.scene
    assert scene.id.startswith("scene-")
    assert (scene.title, scene.owner_id, scene.state) == ("A New Scene", ALICE, "active")
    assert (scene.visibility, scene.pose_order_mode) == ("open", "free")
    assert [(p.character_id, p.character_name, p.role) for p in scene.participants] == [
        (ALICE, "Alice", "owner")
    ]
    stored = h.store.scenes[scene.id]
    assert scene.created_at.ToDatetime(tzinfo=stored.created_at.tzinfo) == stored.created_at
    assert not scene.HasField("ended_at")


async def test_create_honours_every_requested_setting(h: Harness) -> None:
    scene = await h.create(
        visibility="private",
        pose_order_mode="3pr",
        tags=["Fantasy", " court ", "fantasy"],
        content_warnings=["Violence"],
        description="Masks and daggers.",
        location_id="loc-1",
    )
    stored = h.store.scenes[scene.id]
    assert (stored.visibility, stored.pose_order) == ("private", "3pr")
    assert stored.tags == ("fantasy", "court")
    assert stored.content_warnings == ("Violence",)
    assert (stored.description, stored.location_id) == ("Masks and daggers.", "loc-1")
    assert list(scene.tags) == ["fantasy", "court"]


@pytest.mark.parametrize(
    ("fields", "contains"),
    [
        ({"title": "   "}, "title cannot be whitespace-only"),
        ({"title": ""}, "request validation failed: title"),
        ({"title": "x" * 201}, "title: value length must be at most 200"),
        ({"character_id": ""}, "character_id"),
        ({"visibility": "secret"}, "visibility: value must be one of"),
        ({"pose_order_mode": "chaos"}, "pose_order_mode"),
        ({"tags": ["t"] * 33}, "tags: value must contain no more than 32"),
        ({"tags": ["  "]}, "tags must not be blank"),
        ({"description": "d" * 4097}, "description"),
    ],
)
async def test_create_rejects_bad_input_and_stores_nothing(
    h: Harness, fields: dict[str, object], contains: str
) -> None:
    request = scene_pb2.CreateSceneRequest(character_id=ALICE, title="ok")
    for name, value in fields.items():
        if isinstance(value, list):
            getattr(request, name).extend(value)
        else:
            setattr(request, name, value)
    await fails(h.service.create_scene(request), grpc.StatusCode.INVALID_ARGUMENT, contains)
    assert h.store.scenes == {}
    assert h.sink.intents == []


async def test_create_announces_the_scene_on_its_ooc_stream(h: Harness) -> None:
    scene = await h.create()
    [intent] = h.sink.intents
    assert (intent.stream, intent.type) == (f"scene:{scene.id}:ooc", "system")
    payload = json.loads(intent.payload)
    assert list(payload)[:4] == ["kind", "owner_id", "scene_id", "title"]
    assert payload["kind"] == "scene.lifecycle.created"
    assert (payload["scene_id"], payload["owner_id"]) == (scene.id, ALICE)


async def test_create_without_a_sink_stores_nothing(h: Harness) -> None:
    h.service.sink = None
    await fails(h.create(), grpc.StatusCode.INTERNAL, "failed to prepare scene event")
    assert h.store.scenes == {}


async def test_create_with_a_refusing_sink_keeps_the_scene(h: Harness) -> None:
    h.sink.fail = host_refusal("plugin may not emit to namespace")
    err = await fails(h.create(), grpc.StatusCode.INTERNAL, "failed to emit scene event")
    assert "namespace" not in err.message  # details are logged, not returned
    assert len(h.store.scenes) == 1


async def test_a_store_failure_is_internal_without_details(h: Harness) -> None:
    h.store.fail_with = SceneError(SceneErrorCode.STORE_FAILED, "failed to x: password=hunter2")
    err = await fails(h.create(), grpc.StatusCode.INTERNAL, "failed to create scene")
    assert "hunter2" not in err.message
    assert not err.user_facing


async def test_calls_before_init_are_unavailable() -> None:
    service = SceneService(None, RecordingSink())
    ids = {"character_id": ALICE, "scene_id": "scene-1"}
    calls = [
        service.get_scene(scene_pb2.GetSceneRequest(**ids)),
        service.list_scenes(scene_pb2.ListScenesRequest()),
        service.create_scene(scene_pb2.CreateSceneRequest(character_id=ALICE, title="t")),
        service.end_scene(scene_pb2.EndSceneRequest(**ids)),
        service.update_scene(
            scene_pb2.UpdateSceneRequest(**ids, title="t", update_mask=FieldMask(paths=["title"]))
        ),
        service.join_scene(scene_pb2.JoinSceneRequest(**ids)),
        service.invite_to_scene(scene_pb2.InviteToSceneRequest(**ids, target_character_id=BOB)),
        service.get_pose_order(scene_pb2.GetPoseOrderRequest(**ids)),
        service.cast_publish_vote(scene_pb2.CastPublishVoteRequest(**ids, vote=True)),
        service.pose("scene-1", ALICE, "Alice", "waves"),
        service.archive_scene("scene-1", ALICE),
    ]
    for call in calls:
        await fails(call, grpc.StatusCode.UNAVAILABLE, "not initialised")


# --- GetScene, ListScenes, GetPoseOrder ---------------------------------------------


async def test_get_scene(h: Harness) -> None:
    scene = await h.create()
    got = await h.service.get_scene(scene_pb2.GetSceneRequest(character_id=BOB, scene_id=scene.id))
    assert got.scene == scene
    await fails(
        h.service.get_scene(scene_pb2.GetSceneRequest(character_id=BOB, scene_id="scene-nope")),
        grpc.StatusCode.NOT_FOUND,
        "scene not found: scene-nope",
    )


async def test_private_scenes_are_visible_to_members_and_invitees_only(h: Harness) -> None:
    scene = await h.create(visibility="private")
    request = scene_pb2.GetSceneRequest(character_id=BOB, scene_id=scene.id)
    await fails(h.service.get_scene(request), grpc.StatusCode.PERMISSION_DENIED, "private")
    await h.service.invite_to_scene(
        scene_pb2.InviteToSceneRequest(
            character_id=ALICE, scene_id=scene.id, target_character_id=BOB
        )
    )
    assert (await h.service.get_scene(request)).scene.id == scene.id


async def test_list_scenes(h: Harness) -> None:
    tagged = await h.create(tags=["noir"])
    await h.create(visibility="private", tags=["noir"])
    ended = await h.create(tags=["noir"])
    await h.service.end_scene(scene_pb2.EndSceneRequest(character_id=ALICE, scene_id=ended.id))
    listed = await h.service.list_scenes(
        scene_pb2.ListScenesRequest(character_id=BOB, tags=["NOIR"], state="active")
    )
    assert [s.id for s in listed.scenes] == [tagged.id]
    everything = await h.service.list_scenes(scene_pb2.ListScenesRequest(character_id=ALICE))
    assert len(everything.scenes) == 3
    await fails(
        h.service.list_scenes(scene_pb2.ListScenesRequest(limit=201)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "limit",
    )
    await fails(
        h.service.list_scenes(scene_pb2.ListScenesRequest(state="over")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "state",
    )
    await fails(
        h.service.list_scenes(scene_pb2.ListScenesRequest(offset=-1)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "offset",
    )


async def test_get_pose_order(h: Harness) -> None:
    scene = await h.create(pose_order_mode="strict")
    await h.service.join_scene(
        scene_pb2.JoinSceneRequest(character_id=BOB, scene_id=scene.id), caller_name="Bob"
    )
    response = await h.service.get_pose_order(
        scene_pb2.GetPoseOrderRequest(character_id=BOB, scene_id=scene.id)
    )
    assert response.mode == "strict"
    assert [(e.character_id, e.is_eligible) for e in response.entries] == [
        (ALICE, True),
        (BOB, False),
    ]
    assert not response.entries[0].HasField("last_posed_at")
    await h.service.pose(scene.id, ALICE, "Alice", "waves.")
    response = await h.service.get_pose_order(
        scene_pb2.GetPoseOrderRequest(character_id=BOB, scene_id=scene.id)
    )
    assert [(e.character_name, e.is_eligible) for e in response.entries] == [
        ("", False),
        ("Bob", True),
    ]
    assert response.entries[0].HasField("last_posed_at")


# --- lifecycle -----------------------------------------------------------------------


async def test_end_pause_resume(h: Harness) -> None:
    scene = await h.create()
    ids = {"character_id": ALICE, "scene_id": scene.id}
    paused = await h.service.pause_scene(scene_pb2.PauseSceneRequest(**ids))
    assert paused.scene.state == "paused"
    await fails(
        h.service.pause_scene(scene_pb2.PauseSceneRequest(**ids)),
        grpc.StatusCode.FAILED_PRECONDITION,
        'scene transition forbidden: scene in state "paused" cannot be paused',
    )
    assert (
        await h.service.resume_scene(scene_pb2.ResumeSceneRequest(**ids))
    ).scene.state == "active"
    await fails(
        h.service.resume_scene(scene_pb2.ResumeSceneRequest(**ids)),
        grpc.StatusCode.FAILED_PRECONDITION,
        "cannot be resumed",
    )
    ended = await h.service.end_scene(scene_pb2.EndSceneRequest(**ids))
    assert ended.scene.state == "ended"
    assert ended.scene.HasField("ended_at")
    await fails(
        h.service.end_scene(scene_pb2.EndSceneRequest(**ids)),
        grpc.StatusCode.FAILED_PRECONDITION,
        "cannot be ended",
    )
    await fails(
        h.service.end_scene(scene_pb2.EndSceneRequest(character_id=ALICE, scene_id="scene-x")),
        grpc.StatusCode.NOT_FOUND,
    )
    archived = await h.service.archive_scene(scene.id, ALICE)
    assert archived.state == "archived"
    kinds = [json.loads(i.payload)["kind"] for i in h.sink.on(f"scene:{scene.id}:ooc")]
    assert kinds == [
        "scene.lifecycle.created",
        "scene.lifecycle.paused",
        "scene.lifecycle.resumed",
        "scene.lifecycle.ended",
        "scene.lifecycle.archived",
    ]


async def test_only_the_owner_runs_the_scene(h: Harness) -> None:
    scene = await h.create()
    await h.service.join_scene(scene_pb2.JoinSceneRequest(character_id=BOB, scene_id=scene.id))
    ids = {"character_id": BOB, "scene_id": scene.id}
    await fails(
        h.service.end_scene(scene_pb2.EndSceneRequest(**ids)),
        grpc.StatusCode.PERMISSION_DENIED,
        "only the scene owner can end the scene",
    )
    await fails(
        h.service.pause_scene(scene_pb2.PauseSceneRequest(**ids)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await fails(
        h.service.update_scene(
            scene_pb2.UpdateSceneRequest(
                **ids, title="Mine", update_mask=FieldMask(paths=["title"])
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await fails(
        h.service.invite_to_scene(scene_pb2.InviteToSceneRequest(**ids, target_character_id=CAROL)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await fails(
        h.service.kick_from_scene(scene_pb2.KickFromSceneRequest(**ids, target_character_id=ALICE)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await fails(
        h.service.transfer_ownership(
            scene_pb2.TransferOwnershipRequest(**ids, new_owner_character_id=BOB)
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "only the scene owner can transfer ownership",
    )
    await fails(h.service.archive_scene(scene.id, BOB), grpc.StatusCode.PERMISSION_DENIED)
    assert h.store.scenes[scene.id].state is SceneState.ACTIVE
    assert h.store.scenes[scene.id].owner_id == ALICE


async def test_a_failed_announcement_does_not_undo_the_end(h: Harness) -> None:
    scene = await h.create()
    h.sink.fail = host_refusal()
    ended = await h.service.end_scene(
        scene_pb2.EndSceneRequest(character_id=ALICE, scene_id=scene.id)
    )
    assert ended.scene.state == "ended"


async def test_update_scene(h: Harness) -> None:
    scene = await h.create()

    def update(*paths: str, **fields: object) -> scene_pb2.UpdateSceneRequest:
        request = scene_pb2.UpdateSceneRequest(
            character_id=ALICE, scene_id=scene.id, update_mask=FieldMask(paths=list(paths))
        )
        for name, value in fields.items():
            if isinstance(value, list):
                getattr(request, name).extend(value)
            else:
                setattr(request, name, value)
        return request

    updated = await h.service.update_scene(update("title", title=" Renamed "))
    assert updated.scene.title == "Renamed"
    updated = await h.service.update_scene(
        update("content_warnings", "tags", content_warnings=["Gore"], tags=["X"])
    )
    assert (list(updated.scene.content_warnings), list(updated.scene.tags)) == (["Gore"], ["x"])
    await fails(
        h.service.update_scene(update("title", title="  ")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "title",
    )
    await fails(
        h.service.update_scene(update("bogus")),
        grpc.StatusCode.INVALID_ARGUMENT,
        'unknown update_mask path: "bogus"',
    )
    await fails(
        h.service.update_scene(update("visibility")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "visibility cannot be empty when in update_mask",
    )
    await fails(
        h.service.update_scene(update("pose_order_mode")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "pose_order_mode cannot be empty when in update_mask",
    )
    calls = len(h.store.calls)
    same = await h.service.update_scene(update())
    assert same.scene.title == "Renamed"
    assert "update" not in h.store.calls[calls:]
    await h.service.end_scene(scene_pb2.EndSceneRequest(character_id=ALICE, scene_id=scene.id))
    await fails(
        h.service.update_scene(update("title", title="Late")),
        grpc.StatusCode.FAILED_PRECONDITION,
        'scene in state "ended" cannot be updated',
    )


# --- membership ----------------------------------------------------------------------


async def test_join(h: Harness) -> None:
    scene = await h.create()
    await h.service.join_scene(
        scene_pb2.JoinSceneRequest(character_id=BOB, scene_id=scene.id), caller_name="Bob"
    )
    assert h.store.scenes[scene.id].role_of(BOB) is ParticipantRole.MEMBER
    assert json.loads(h.sink.intents[-1].payload)["text"] == "Bob joined the scene."
    private = await h.create(visibility="private")
    await fails(
        h.service.join_scene(scene_pb2.JoinSceneRequest(character_id=BOB, scene_id=private.id)),
        grpc.StatusCode.PERMISSION_DENIED,
        "character not invited to private scene",
    )
    await fails(
        h.service.join_scene(scene_pb2.JoinSceneRequest(character_id=BOB, scene_id="scene-x")),
        grpc.StatusCode.NOT_FOUND,
    )
    await h.service.end_scene(scene_pb2.EndSceneRequest(character_id=ALICE, scene_id=scene.id))
    await fails(
        h.service.join_scene(scene_pb2.JoinSceneRequest(character_id=CAROL, scene_id=scene.id)),
        grpc.StatusCode.FAILED_PRECONDITION,
        "scene cannot be joined in its current state",
    )


async def test_leave(h: Harness) -> None:
    scene = await h.create()
    await fails(
        h.service.leave_scene(scene_pb2.LeaveSceneRequest(character_id=ALICE, scene_id=scene.id)),
        grpc.StatusCode.FAILED_PRECONDITION,
        "owners cannot leave; use `scene end`",
    )
    await h.service.join_scene(scene_pb2.JoinSceneRequest(character_id=BOB, scene_id=scene.id))
    await h.service.leave_scene(scene_pb2.LeaveSceneRequest(character_id=BOB, scene_id=scene.id))
    assert h.store.scenes[scene.id].role_of(BOB) is None
    await fails(
        h.service.leave_scene(scene_pb2.LeaveSceneRequest(character_id=BOB, scene_id=scene.id)),
        grpc.StatusCode.NOT_FOUND,
        "character not in scene",
    )
    await fails(
        h.service.leave_scene(scene_pb2.LeaveSceneRequest(character_id=BOB, scene_id="scene-x")),
        grpc.StatusCode.NOT_FOUND,
        "scene not found",
    )


async def test_invite_kick_transfer(h: Harness) -> None:
    scene = await h.create(visibility="private")
    ids = {"character_id": ALICE, "scene_id": scene.id}
    await h.service.invite_to_scene(scene_pb2.InviteToSceneRequest(**ids, target_character_id=BOB))
    assert h.store.scenes[scene.id].role_of(BOB) is ParticipantRole.INVITED
    await h.service.join_scene(scene_pb2.JoinSceneRequest(character_id=BOB, scene_id=scene.id))
    await fails(
        h.service.invite_to_scene(scene_pb2.InviteToSceneRequest(**ids, target_character_id=BOB)),
        grpc.StatusCode.ALREADY_EXISTS,
        "character is already a member of this scene",
    )
    await fails(
        h.service.kick_from_scene(scene_pb2.KickFromSceneRequest(**ids, target_character_id=ALICE)),
        grpc.StatusCode.FAILED_PRECONDITION,
        "scene owner cannot be kicked",
    )
    await fails(
        h.service.kick_from_scene(scene_pb2.KickFromSceneRequest(**ids, target_character_id=CAROL)),
        grpc.StatusCode.NOT_FOUND,
        "target not in scene",
    )
    await fails(
        h.service.transfer_ownership(
            scene_pb2.TransferOwnershipRequest(**ids, new_owner_character_id=CAROL)
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "transfer target must be an existing member of the scene",
    )
    await h.service.transfer_ownership(
        scene_pb2.TransferOwnershipRequest(**ids, new_owner_character_id=BOB)
    )
    assert h.store.scenes[scene.id].owner_id == BOB
    await h.service.kick_from_scene(
        scene_pb2.KickFromSceneRequest(
            character_id=BOB, scene_id=scene.id, target_character_id=ALICE
        )
    )
    assert h.store.scenes[scene.id].role_of(ALICE) is None


# --- poses and publication -----------------------------------------------------------


async def test_pose_goes_to_the_ic_stream(h: Harness) -> None:
    scene = await h.create()
    await h.service.pose(scene.id, ALICE, "Alice", "  draws her sword.  ")
    [intent] = h.sink.on(f"scene:{scene.id}:ic")
    assert intent.type == "pose"
    assert json.loads(intent.payload) == {
        "character_id": ALICE,
        "character_name": "Alice",
        "message": "draws her sword.",
        "scene_id": scene.id,
    }


async def test_a_pose_the_host_refuses_is_not_recorded(h: Harness) -> None:
    scene = await h.create()
    h.sink.fail = host_refusal()
    await fails(h.service.pose(scene.id, ALICE, "Alice", "waves"), grpc.StatusCode.INTERNAL)
    assert h.store.poses == []
    h.service.sink = None
    await fails(h.service.pose(scene.id, ALICE, "Alice", "waves"), grpc.StatusCode.INTERNAL)
    assert h.store.poses == []


async def test_pose_input_and_turn_checks(h: Harness) -> None:
    scene = await h.create(pose_order_mode="strict")
    await h.service.join_scene(
        scene_pb2.JoinSceneRequest(character_id=BOB, scene_id=scene.id), caller_name="Bob"
    )
    await fails(h.service.pose(scene.id, ALICE, "Alice", "   "), grpc.StatusCode.INVALID_ARGUMENT)
    await fails(
        h.service.pose(scene.id, ALICE, "Alice", "x" * 4097), grpc.StatusCode.INVALID_ARGUMENT
    )
    await fails(h.service.pose("", ALICE, "Alice", "hi"), grpc.StatusCode.INVALID_ARGUMENT)
    await fails(
        h.service.pose(scene.id, BOB, "Bob", "hi"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "it is not your turn to pose (pose order strict; next: char-alice)",
    )
    await fails(
        h.service.pose(scene.id, CAROL, "Carol", "hi"),
        grpc.StatusCode.PERMISSION_DENIED,
        "only participants",
    )


async def test_publish_votes_and_readable_logs(h: Harness) -> None:
    scene = await h.create()
    await h.service.join_scene(scene_pb2.JoinSceneRequest(character_id=BOB, scene_id=scene.id))

    def vote(who: str, yes: bool) -> scene_pb2.CastPublishVoteRequest:
        return scene_pb2.CastPublishVoteRequest(character_id=who, scene_id=scene.id, vote=yes)

    await fails(
        h.service.cast_publish_vote(vote(ALICE, True)), grpc.StatusCode.FAILED_PRECONDITION, "ended"
    )
    await h.service.end_scene(scene_pb2.EndSceneRequest(character_id=ALICE, scene_id=scene.id))
    await fails(
        h.service.readable_scene(scene.id, CAROL),
        grpc.StatusCode.PERMISSION_DENIED,
        "only participants can read the log of an unpublished scene",
    )
    assert (await h.service.readable_scene(scene.id, BOB)).id == scene.id
    tally = await h.service.cast_publish_vote(vote(ALICE, True))
    assert (tally.yes, tally.participants, tally.published) == (1, 2, False)
    tally = await h.service.cast_publish_vote(vote(BOB, True))
    assert tally.published
    notice = json.loads(h.sink.intents[-1].payload)
    assert notice["kind"] == "scene.publish.published"
    assert (await h.service.readable_scene(scene.id, CAROL)).id == scene.id
    await fails(
        h.service.cast_publish_vote(vote(BOB, False)),
        grpc.StatusCode.FAILED_PRECONDITION,
        "already published",
    )
