"""SceneService logic, shared by the gRPC servicer and the player commands.

Every method validates its request with the same rule table the SDK's interceptor uses
(`core_scenes.validation_rules`), so a command typed by a player is held to the rules of
an RPC. Per-scene permissions are checked by the store inside each write's transaction
(`core_scenes.rules`). Failures raise `SceneServiceError` carrying the gRPC code.

Events: creating a scene announces it on ``scene:<id>:ooc`` (the event sink must be set,
as in the reference: without one nothing is stored); lifecycle, membership and
publication changes are announced there too, best effort (logged if the host refuses);
poses go to ``scene:<id>:ic`` inside the pose's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from core_scenes import announcements
from core_scenes.convert import pose_order_entry, scene_info
from core_scenes.errors import SceneError, SceneErrorCode
from core_scenes.ids import new_scene_id
from core_scenes.model import (
    UPDATE_PATHS,
    NewScene,
    PoseOrderMode,
    SceneListQuery,
    SceneRecord,
    SceneState,
    SceneUpdate,
    Visibility,
    VoteTally,
)
from core_scenes.pose_order import PoseOrderEntry, compute_pose_order
from core_scenes.rules import SceneOp, check_visible
from core_scenes.service_errors import (
    SceneServiceError,
    internal,
    invalid_argument,
    service_error,
)
from core_scenes.store import JoinOutcome, SceneStore
from core_scenes.validation_rules import MAX_ID, validate
from holomush.scene.v1 import scene_pb2
from holomush_sdk import EmitIntent, EventSink, HostCallError, ValidationError
from holomush_sdk.validation import NO_NUL

__all__ = ["DEFAULT_LIST_LIMIT", "MAX_POSE_LENGTH", "SceneService"]

_log = logging.getLogger("core_scenes")

T = TypeVar("T")

DEFAULT_LIST_LIMIT = 50
MAX_POSE_LENGTH = 4096


def _check(request: Message) -> None:
    try:
        validate(request)
    except ValidationError as err:
        raise invalid_argument(f"request validation failed: {err.message}") from None


def _normalise_labels(values: Iterable[str], what: str) -> tuple[str, ...]:
    """Trimmed, lower-cased, de-duplicated (first occurrence kept); blank is an error."""
    seen: dict[str, None] = {}
    for value in values:
        label = value.strip().lower()
        if not label:
            raise invalid_argument(f"{what} must not be blank")
        seen.setdefault(label, None)
    return tuple(seen)


def _keep_warnings(values: Iterable[str]) -> tuple[str, ...]:
    """Content warnings keep their case; trimmed, de-duplicated, never blank."""
    seen: dict[str, None] = {}
    for value in values:
        warning = value.strip()
        if not warning:
            raise invalid_argument("content_warnings must not be blank")
        seen.setdefault(warning, None)
    return tuple(seen)


def _check_ids(**ids: str) -> None:
    for name, value in ids.items():
        if not value:
            raise invalid_argument(
                f"request validation failed: {name}: value length must be at least 1 characters"
            )
        if len(value) > MAX_ID:
            raise invalid_argument(
                f"request validation failed: {name}: value length must be at most {MAX_ID} characters"
            )
        if "\x00" in value:
            raise invalid_argument(f"request validation failed: {name}: {NO_NUL}")


class SceneService:
    """The scene operations. `store` and `sink` are set at Init (they may be None before)."""

    def __init__(self, store: SceneStore | None = None, sink: EventSink | None = None) -> None:
        self.store = store
        self.sink = sink

    def _store(self) -> SceneStore:
        if self.store is None:
            raise SceneError(
                SceneErrorCode.STORE_UNAVAILABLE,
                "core-scenes is not initialised yet (no database connection)",
            )
        return self.store

    async def _run(self, rpc: str, operation: Callable[[SceneStore], Awaitable[T]]) -> T:
        """Run `operation` on the store, turning domain errors (including a store that is
        not there yet) into service errors."""
        try:
            return await operation(self._store())
        except SceneError as err:
            raise service_error(err, rpc) from None

    async def _announce(self, intent: EmitIntent) -> None:
        """Best-effort notice to a scene's members; the change itself already happened."""
        if self.sink is None:
            _log.debug("no event sink; not announcing %s", intent.payload)
            return
        try:
            await self.sink.emit(intent)
        except HostCallError as err:
            _log.warning("could not announce on %s: %s", intent.stream, err.message)

    async def _visible_scene(self, rpc: str, scene_id: str, viewer_id: str) -> SceneRecord:
        async def load(store: SceneStore) -> SceneRecord:
            scene = await store.get(scene_id)
            check_visible(scene, viewer_id)
            return scene

        return await self._run(rpc, load)

    # --- reads ------------------------------------------------------------------------

    async def get_scene(self, request: scene_pb2.GetSceneRequest) -> scene_pb2.GetSceneResponse:
        """Open scenes are readable by anyone; private ones by owner, members, invitees."""
        _check(request)
        scene = await self._visible_scene("get_scene", request.scene_id, request.character_id)
        return scene_pb2.GetSceneResponse(scene=scene_info(scene))

    async def list_scenes(
        self, request: scene_pb2.ListScenesRequest, *, states: Sequence[SceneState] = ()
    ) -> scene_pb2.ListScenesResponse:
        """Scenes visible to ``character_id`` (all open ones; private ones it belongs to or
        is invited to), newest first, carrying every tag asked for; ``state`` (or, from
        the command path, `states`) narrows by state. ``limit`` 0 means 50."""
        _check(request)
        query = SceneListQuery(
            viewer_id=request.character_id,
            states=(SceneState(request.state),) if request.state else tuple(states),
            tags=_normalise_labels(request.tags, "tags"),
            limit=request.limit or DEFAULT_LIST_LIMIT,
            offset=request.offset,
        )
        scenes = await self._run("list_scenes", lambda store: store.list_scenes(query))
        return scene_pb2.ListScenesResponse(scenes=[scene_info(s) for s in scenes])

    async def pose_order(
        self, scene_id: str, viewer_id: str
    ) -> tuple[SceneRecord, list[PoseOrderEntry]]:
        _check_ids(character_id=viewer_id, scene_id=scene_id)

        async def load(store: SceneStore) -> tuple[SceneRecord, list[PoseOrderEntry]]:
            scene, standings = await store.pose_standings(scene_id)
            check_visible(scene, viewer_id)
            return scene, compute_pose_order(scene.pose_order, standings)

        return await self._run("get_pose_order", load)

    async def get_pose_order(
        self, request: scene_pb2.GetPoseOrderRequest
    ) -> scene_pb2.GetPoseOrderResponse:
        """The scene's mode and every participant (join order) with its last pose time and
        whether it may pose now (rules in `core_scenes.pose_order`)."""
        _check(request)
        scene, entries = await self.pose_order(request.scene_id, request.character_id)
        return scene_pb2.GetPoseOrderResponse(
            mode=str(scene.pose_order), entries=[pose_order_entry(e) for e in entries]
        )

    async def readable_scene(self, scene_id: str, reader_id: str) -> SceneRecord:
        """The scene, if `reader_id` may read its log: participants always, anyone once the
        scene is published."""
        _check_ids(character_id=reader_id, scene_id=scene_id)
        scene = await self._visible_scene("read_scene_log", scene_id, reader_id)
        if scene.published_at is None and not scene.is_participant(reader_id):
            raise SceneServiceError(
                grpc.StatusCode.PERMISSION_DENIED,
                "only participants can read the log of an unpublished scene",
                code=SceneErrorCode.NOT_PARTICIPANT,
            )
        return scene

    # --- creation and lifecycle -------------------------------------------------------

    async def create_scene(
        self, request: scene_pb2.CreateSceneRequest, *, caller_name: str = ""
    ) -> scene_pb2.CreateSceneResponse:
        """Create an active scene owned by the caller, honouring visibility (default open),
        pose order (default free), tags, content warnings, description and location."""
        _check(request)
        title = request.title.strip()
        if not title:
            raise invalid_argument("title cannot be whitespace-only")
        new = NewScene(
            id=new_scene_id(),
            title=title,
            owner_id=request.character_id,
            owner_name=caller_name,
            visibility=Visibility(request.visibility or Visibility.OPEN),
            pose_order=PoseOrderMode(request.pose_order_mode or PoseOrderMode.FREE),
            description=request.description,
            location_id=request.location_id,
            tags=_normalise_labels(request.tags, "tags"),
            content_warnings=_keep_warnings(request.content_warnings),
        )
        sink = self.sink
        if sink is None:  # checked before anything is stored
            raise internal("prepare scene event", "event sink not configured")
        scene = await self._run("create_scene", lambda store: store.create_with_owner(new))
        try:
            await sink.emit(announcements.created_intent(scene))
        except HostCallError as err:
            raise internal("emit scene event", err.message) from None
        return scene_pb2.CreateSceneResponse(scene=scene_info(scene))

    async def _transition(
        self, rpc: str, op: SceneOp, scene_id: str, character_id: str
    ) -> SceneRecord:
        scene, _prior = await self._run(
            rpc, lambda store: store.transition(scene_id, op, character_id)
        )
        participle = op.spec.participle
        await self._announce(
            announcements.notice_intent(
                scene.id,
                f"scene.lifecycle.{participle}",
                f"Scene {scene.title} ({scene.id}) {participle}.",
                actor_id=character_id,
            )
        )
        return scene

    async def end_scene(self, request: scene_pb2.EndSceneRequest) -> scene_pb2.EndSceneResponse:
        """Owner only; active or paused → ended (ended_at set)."""
        _check(request)
        scene = await self._transition(
            "end_scene", SceneOp.END, request.scene_id, request.character_id
        )
        return scene_pb2.EndSceneResponse(scene=scene_info(scene))

    async def pause_scene(
        self, request: scene_pb2.PauseSceneRequest
    ) -> scene_pb2.PauseSceneResponse:
        """Owner only; active → paused."""
        _check(request)
        scene = await self._transition(
            "pause_scene", SceneOp.PAUSE, request.scene_id, request.character_id
        )
        return scene_pb2.PauseSceneResponse(scene=scene_info(scene))

    async def resume_scene(
        self, request: scene_pb2.ResumeSceneRequest
    ) -> scene_pb2.ResumeSceneResponse:
        """Any participant; paused → active."""
        _check(request)
        scene = await self._transition(
            "resume_scene", SceneOp.RESUME, request.scene_id, request.character_id
        )
        return scene_pb2.ResumeSceneResponse(scene=scene_info(scene))

    async def archive_scene(self, scene_id: str, character_id: str) -> scene_pb2.SceneInfo:
        """Owner only; ended → archived (archived_at set). Command-only: the proto has no
        ArchiveScene RPC."""
        _check_ids(character_id=character_id, scene_id=scene_id)
        scene = await self._transition("archive_scene", SceneOp.ARCHIVE, scene_id, character_id)
        return scene_info(scene)

    async def update_scene(
        self, request: scene_pb2.UpdateSceneRequest
    ) -> scene_pb2.UpdateSceneResponse:
        """Owner only, while active or paused; changes exactly the fields in the mask. An
        empty mask changes nothing and returns the scene (to whoever may read it)."""
        _check(request)
        update = _update_from_mask(request)
        if not update.changed_fields():
            scene = await self._visible_scene(
                "update_scene", request.scene_id, request.character_id
            )
        else:
            scene = await self._run(
                "update_scene",
                lambda store: store.update(request.scene_id, request.character_id, update),
            )
        return scene_pb2.UpdateSceneResponse(scene=scene_info(scene))

    # --- membership -------------------------------------------------------------------

    async def join_scene(
        self, request: scene_pb2.JoinSceneRequest, *, caller_name: str = ""
    ) -> scene_pb2.JoinSceneResponse:
        """Open scenes: anyone; private scenes: invitees. Joining again is a no-op."""
        _check(request)
        outcome = await self._run(
            "join_scene",
            lambda store: store.join(request.scene_id, request.character_id, caller_name),
        )
        if outcome is not JoinOutcome.NO_CHANGE:
            who = caller_name or request.character_id
            await self._announce(
                announcements.notice_intent(
                    request.scene_id,
                    "scene.membership.join",
                    f"{who} joined the scene.",
                    character_id=request.character_id,
                )
            )
        return scene_pb2.JoinSceneResponse()

    async def leave_scene(
        self, request: scene_pb2.LeaveSceneRequest, *, caller_name: str = ""
    ) -> scene_pb2.LeaveSceneResponse:
        """Members and invitees of a running scene; the owner must end or transfer first.
        An ended scene's membership is final (it decides who votes on publishing)."""
        _check(request)
        await self._run(
            "leave_scene", lambda store: store.leave(request.scene_id, request.character_id)
        )
        who = caller_name or request.character_id
        await self._announce(
            announcements.notice_intent(
                request.scene_id,
                "scene.membership.leave",
                f"{who} left the scene.",
                character_id=request.character_id,
            )
        )
        return scene_pb2.LeaveSceneResponse()

    async def invite_to_scene(
        self, request: scene_pb2.InviteToSceneRequest
    ) -> scene_pb2.InviteToSceneResponse:
        """Owner only, while running. Inviting an invitee again is a no-op."""
        _check(request)
        await self._run(
            "invite_to_scene",
            lambda store: store.invite(
                request.scene_id, request.character_id, request.target_character_id
            ),
        )
        return scene_pb2.InviteToSceneResponse()

    async def kick_from_scene(
        self, request: scene_pb2.KickFromSceneRequest
    ) -> scene_pb2.KickFromSceneResponse:
        """Owner only, while running; removes a member or withdraws an invitation."""
        _check(request)
        await self._run(
            "kick_from_scene",
            lambda store: store.kick(
                request.scene_id, request.character_id, request.target_character_id
            ),
        )
        await self._announce(
            announcements.notice_intent(
                request.scene_id,
                "scene.membership.kick",
                f"{request.target_character_id} was removed from the scene.",
                character_id=request.target_character_id,
            )
        )
        return scene_pb2.KickFromSceneResponse()

    async def transfer_ownership(
        self, request: scene_pb2.TransferOwnershipRequest
    ) -> scene_pb2.TransferOwnershipResponse:
        """Owner only, while running; the new owner must be a member (the old owner stays
        as a member). Transferring to oneself is a no-op."""
        _check(request)
        changed = await self._run(
            "transfer_ownership",
            lambda store: store.transfer(
                request.scene_id, request.character_id, request.new_owner_character_id
            ),
        )
        if changed:
            await self._announce(
                announcements.notice_intent(
                    request.scene_id,
                    "scene.membership.ownership_transferred",
                    f"{request.new_owner_character_id} now runs the scene.",
                    owner_id=request.new_owner_character_id,
                )
            )
        return scene_pb2.TransferOwnershipResponse()

    # --- posing and publication -------------------------------------------------------

    async def pose(
        self, scene_id: str, character_id: str, character_name: str, text: str
    ) -> SceneRecord:
        """Post a pose to the scene's IC stream, if the pose order lets the character pose
        now. A pose the host refuses is not recorded (it is sent inside the transaction)."""
        _check_ids(character_id=character_id, scene_id=scene_id)
        text = text.strip()
        if not text:
            raise invalid_argument("pose text cannot be empty")
        if len(text) > MAX_POSE_LENGTH:
            raise invalid_argument(f"pose text is longer than {MAX_POSE_LENGTH} characters")
        sink = self.sink
        if sink is None:
            raise internal("deliver pose", "event sink not configured")
        intent = announcements.pose_intent(scene_id, character_id, character_name, text)

        async def deliver(_scene: SceneRecord) -> None:
            await sink.emit(intent)

        try:
            return await self._run(
                "pose",
                lambda store: store.record_pose(scene_id, character_id, character_name, deliver),
            )
        except HostCallError as err:
            raise internal("deliver pose", err.message) from None

    async def cast_publish_vote(self, request: scene_pb2.CastPublishVoteRequest) -> VoteTally:
        """A participant's vote on publishing an ended scene's log (the latest vote counts).

        When every current participant has voted yes the scene is published: its log
        becomes readable by anyone (`readable_scene`), the resolver reports
        ``published = true``, and further votes are refused."""
        _check(request)
        tally = await self._run(
            "cast_publish_vote",
            lambda store: store.cast_vote(request.scene_id, request.character_id, request.vote),
        )
        if tally.published:
            await self._announce(
                announcements.notice_intent(
                    request.scene_id,
                    "scene.publish.published",
                    f"All {tally.participants} participants consented: the scene log is now published.",
                )
            )
        return tally


def _quoted(value: str, limit: int = 64) -> str:
    """`value` in double quotes for an error message: at most `limit` characters, with
    quotes, backslashes and unprintable characters (controls, RTL overrides) escaped, so
    an echoed value can neither flood the message (gRPC drops a status message over
    16 KB) nor garble the reader's terminal."""
    shown = "".join(_escaped(char) for char in value[:limit])
    return f'"{shown}"' + ("…" if len(value) > limit else "")


def _escaped(char: str) -> str:
    if char == '"':
        return '\\"'
    if char == "\\" or not char.isprintable():
        return char.encode("unicode_escape").decode("ascii")
    return char


def _update_from_mask(request: scene_pb2.UpdateSceneRequest) -> SceneUpdate:
    fields: dict[str, Any] = {}
    for path in request.update_mask.paths:
        if path not in UPDATE_PATHS:
            raise invalid_argument(
                f"unknown update_mask path: {_quoted(path)}; known paths: {', '.join(UPDATE_PATHS)}"
            )
        if path == "title":
            title = request.title.strip()
            if not title:
                raise invalid_argument("title cannot be empty or whitespace-only")
            fields["title"] = title
        elif path == "visibility":
            if not request.visibility:
                raise invalid_argument("visibility cannot be empty when in update_mask")
            fields["visibility"] = Visibility(request.visibility)
        elif path == "pose_order_mode":
            if not request.pose_order_mode:
                raise invalid_argument("pose_order_mode cannot be empty when in update_mask")
            fields["pose_order"] = PoseOrderMode(request.pose_order_mode)
        elif path == "tags":
            fields["tags"] = _normalise_labels(request.tags, "tags")
        elif path == "content_warnings":
            fields["content_warnings"] = _keep_warnings(request.content_warnings)
        else:  # description, location_id: as given ("" clears the location)
            fields[path] = getattr(request, path)
    return SceneUpdate(**fields)
