"""Test doubles: an in-memory `SceneStore`, a recording `EventSink`, a scripted
`FocusClient`. The fake store applies the same `core_scenes.rules` as the real one."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc

from core_scenes.errors import SceneError, SceneErrorCode
from core_scenes.ids import new_ops_event_id
from core_scenes.model import (
    NewScene,
    OpsEvent,
    OpsEventKind,
    ParticipantRecord,
    ParticipantRole,
    PoserStanding,
    SceneListQuery,
    SceneRecord,
    SceneState,
    SceneUpdate,
    VoteTally,
)
from core_scenes.rules import (
    SceneOp,
    check_invite,
    check_join,
    check_kick,
    check_leave,
    check_op,
    check_pose_turn,
    check_transfer,
    check_vote,
    not_found,
)
from core_scenes.store import LIFECYCLE_EVENT_KINDS, JoinOutcome, PoseDelivery
from holomush_sdk import (
    Actor,
    EmitIntent,
    Event,
    FocusError,
    FocusErrorCode,
    FocusKey,
    HostCallError,
    QueryStreamHistoryRequest,
)


class FakeClock:
    """Strictly increasing timestamps, so join order is deterministic."""

    def __init__(self) -> None:
        self._now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


class InMemorySceneStore:
    def __init__(self) -> None:
        self.scenes: dict[str, SceneRecord] = {}
        self.events: list[OpsEvent] = []
        self.poses: list[tuple[int, str, str, datetime]] = []  # seq, scene, character, at
        self.votes: dict[tuple[str, str], bool] = {}
        self.fail_with: SceneError | None = None
        """Raised by the next call (then cleared), to simulate a store failure."""
        self.calls: list[str] = []
        self.closed = False
        self._clock = FakeClock()

    def _enter(self, name: str) -> None:
        self.calls.append(name)
        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error

    def _scene(self, scene_id: str) -> SceneRecord:
        try:
            return self.scenes[scene_id]
        except KeyError:
            raise not_found(scene_id) from None

    def _record(
        self,
        scene_id: str,
        kind: OpsEventKind,
        actor: str,
        target: str | None,
        payload: dict[str, Any],
    ) -> None:
        self.events.append(
            OpsEvent(new_ops_event_id(), scene_id, kind, actor, target, payload, self._clock())
        )

    def _set_participants(self, scene: SceneRecord, rows: list[ParticipantRecord]) -> SceneRecord:
        updated = dataclasses.replace(scene, participants=tuple(rows))
        self.scenes[scene.id] = updated
        return updated

    async def create_with_owner(self, scene: NewScene) -> SceneRecord:
        self._enter("create_with_owner")
        if scene.id in self.scenes:
            raise SceneError(SceneErrorCode.CREATE_FAILED, f"scene {scene.id} already exists")
        now = self._clock()
        record = SceneRecord(
            id=scene.id,
            title=scene.title,
            owner_id=scene.owner_id,
            state=SceneState.ACTIVE,
            visibility=scene.visibility,
            pose_order=scene.pose_order,
            created_at=now,
            description=scene.description,
            location_id=scene.location_id,
            tags=scene.tags,
            content_warnings=scene.content_warnings,
            participants=(
                ParticipantRecord(scene.owner_id, ParticipantRole.OWNER, now, scene.owner_name),
            ),
        )
        self.scenes[scene.id] = record
        self._record(
            scene.id,
            OpsEventKind.LIFECYCLE_CREATED,
            scene.owner_id,
            None,
            {"visibility": str(scene.visibility), "from_template": False},
        )
        return record

    async def get(self, scene_id: str) -> SceneRecord:
        self._enter("get")
        return self._scene(scene_id)

    async def list_scenes(self, query: SceneListQuery) -> list[SceneRecord]:
        self._enter("list_scenes")
        found = [
            s
            for s in self.scenes.values()
            if s.can_see(query.viewer_id)
            and (not query.states or s.state in query.states)
            and set(query.tags) <= set(s.tags)
        ]
        found.sort(key=lambda s: (s.created_at, s.id), reverse=True)
        return found[query.offset : query.offset + query.limit]

    async def transition(
        self, scene_id: str, op: SceneOp, actor_id: str
    ) -> tuple[SceneRecord, SceneState]:
        self._enter("transition")
        scene = self._scene(scene_id)
        check_op(scene, op, actor_id)
        target = op.spec.target
        assert target is not None
        stamps: dict[str, Any] = {}
        if target is SceneState.ENDED:
            stamps["ended_at"] = self._clock()
        if target is SceneState.ARCHIVED:
            stamps["archived_at"] = self._clock()
        updated = dataclasses.replace(scene, state=target, **stamps)
        self.scenes[scene_id] = updated
        self._record(
            scene_id, LIFECYCLE_EVENT_KINDS[op], actor_id, None, {"prior_state": scene.state}
        )
        return updated, scene.state

    async def update(self, scene_id: str, actor_id: str, update: SceneUpdate) -> SceneRecord:
        self._enter("update")
        scene = self._scene(scene_id)
        check_op(scene, SceneOp.UPDATE, actor_id)
        changes = {
            name: value for name, value in dataclasses.asdict(update).items() if value is not None
        }
        if not changes:
            return scene
        updated = dataclasses.replace(scene, **changes)
        self.scenes[scene_id] = updated
        self._record(
            scene_id,
            OpsEventKind.SETTINGS_UPDATED,
            actor_id,
            None,
            {"paths": update.changed_fields()},
        )
        return updated

    async def join(self, scene_id: str, character_id: str, character_name: str) -> JoinOutcome:
        self._enter("join")
        scene = self._scene(scene_id)
        check_join(scene, character_id)
        role = scene.role_of(character_id)
        if role is not None and role.is_participant:
            return JoinOutcome.NO_CHANGE
        rows = [p for p in scene.participants if p.character_id != character_id]
        rows.append(
            ParticipantRecord(character_id, ParticipantRole.MEMBER, self._clock(), character_name)
        )
        self._set_participants(scene, rows)
        outcome = JoinOutcome.PROMOTED if role is not None else JoinOutcome.INSERTED
        self._record(
            scene_id,
            OpsEventKind.MEMBERSHIP_JOIN,
            character_id,
            character_id,
            {"visibility": str(scene.visibility), "from_invited": role is not None},
        )
        return outcome

    async def leave(self, scene_id: str, character_id: str) -> ParticipantRole:
        self._enter("leave")
        scene = self._scene(scene_id)
        role = check_leave(scene, character_id)
        self._set_participants(
            scene, [p for p in scene.participants if p.character_id != character_id]
        )
        self._record(
            scene_id,
            OpsEventKind.MEMBERSHIP_LEAVE,
            character_id,
            character_id,
            {"prior_role": str(role)},
        )
        return role

    async def invite(self, scene_id: str, actor_id: str, target_id: str) -> bool:
        self._enter("invite")
        scene = self._scene(scene_id)
        if not check_invite(scene, actor_id, target_id):
            return False
        self._set_participants(
            scene,
            [
                *scene.participants,
                ParticipantRecord(target_id, ParticipantRole.INVITED, self._clock()),
            ],
        )
        self._record(scene_id, OpsEventKind.MEMBERSHIP_INVITE, actor_id, target_id, {})
        return True

    async def kick(self, scene_id: str, actor_id: str, target_id: str) -> ParticipantRole:
        self._enter("kick")
        scene = self._scene(scene_id)
        role = check_kick(scene, actor_id, target_id)
        self._set_participants(
            scene, [p for p in scene.participants if p.character_id != target_id]
        )
        self._record(
            scene_id, OpsEventKind.MEMBERSHIP_KICK, actor_id, target_id, {"prior_role": str(role)}
        )
        return role

    async def transfer(self, scene_id: str, actor_id: str, new_owner_id: str) -> bool:
        self._enter("transfer")
        scene = self._scene(scene_id)
        if not check_transfer(scene, actor_id, new_owner_id):
            return False
        rows = []
        for p in scene.participants:
            if p.character_id == actor_id:
                p = dataclasses.replace(p, role=ParticipantRole.MEMBER)
            elif p.character_id == new_owner_id:
                p = dataclasses.replace(p, role=ParticipantRole.OWNER)
            rows.append(p)
        updated = self._set_participants(scene, rows)
        self.scenes[scene_id] = dataclasses.replace(updated, owner_id=new_owner_id)
        self._record(
            scene_id,
            OpsEventKind.MEMBERSHIP_OWNERSHIP_TRANSFERRED,
            actor_id,
            new_owner_id,
            {"from": actor_id},
        )
        return True

    def _standings(self, scene: SceneRecord) -> list[PoserStanding]:
        poses = [p for p in self.poses if p[1] == scene.id]
        standings = []
        for participant in scene.participants:
            if not participant.role.is_participant:
                continue
            mine = [p for p in poses if p[2] == participant.character_id]
            last = mine[-1] if mine else None
            standings.append(
                PoserStanding(
                    character_id=participant.character_id,
                    character_name=participant.character_name,
                    joined_at=participant.joined_at,
                    last_pose_seq=last[0] if last else None,
                    last_posed_at=last[3] if last else None,
                    poses_since=sum(1 for p in poses if last and p[0] > last[0]),
                )
            )
        return standings

    async def pose_standings(self, scene_id: str) -> tuple[SceneRecord, list[PoserStanding]]:
        self._enter("pose_standings")
        scene = self._scene(scene_id)
        return scene, self._standings(scene)

    async def record_pose(
        self, scene_id: str, character_id: str, character_name: str, deliver: PoseDelivery
    ) -> SceneRecord:
        self._enter("record_pose")
        scene = self._scene(scene_id)
        check_pose_turn(scene, self._standings(scene), character_id)
        await deliver(scene)  # before recording: a failed delivery records nothing
        self.poses.append((len(self.poses) + 1, scene_id, character_id, self._clock()))
        self._record(scene_id, OpsEventKind.POSE_POSTED, character_id, None, {})
        return scene

    async def cast_vote(self, scene_id: str, character_id: str, vote: bool) -> VoteTally:
        self._enter("cast_vote")
        scene = self._scene(scene_id)
        check_vote(scene, character_id)
        self.votes[(scene_id, character_id)] = vote
        self._record(scene_id, OpsEventKind.PUBLISH_VOTE, character_id, None, {"vote": vote})
        ids = scene.participant_ids
        yes = sum(1 for c in ids if self.votes.get((scene_id, c)) is True)
        no = sum(1 for c in ids if self.votes.get((scene_id, c)) is False)
        published = bool(ids) and yes == len(ids)
        if published:
            self.scenes[scene_id] = dataclasses.replace(scene, published_at=self._clock())
            self._record(scene_id, OpsEventKind.PUBLISH_PUBLISHED, character_id, None, {})
        return VoteTally(participants=len(ids), yes=yes, no=no, published=published)

    async def ops_events(self, scene_id: str) -> list[OpsEvent]:
        return [e for e in self.events if e.scene_id == scene_id]

    async def close(self) -> None:
        self.closed = True


class RecordingSink:
    """`EventSink` that keeps what it was given; set `fail` to refuse the next emits."""

    def __init__(self) -> None:
        self.intents: list[EmitIntent] = []
        self.fail: HostCallError | None = None

    async def emit(self, intent: EmitIntent, *, actor: Actor | None = None) -> None:
        if self.fail is not None:
            raise self.fail
        self.intents.append(intent)

    def on(self, stream: str) -> list[EmitIntent]:
        return [i for i in self.intents if i.stream == stream]


def host_refusal(message: str = "plugin may not emit") -> HostCallError:
    return HostCallError(message, status=grpc.StatusCode.PERMISSION_DENIED)


def focus_error(code: FocusErrorCode | None, operation: str = "join focus") -> FocusError:
    return FocusError(
        f"{operation}: {code or 'boom'}: host detail that players must not see",
        code=code,
        status=grpc.StatusCode.UNKNOWN,
        operation=operation,
        session_id="sess-1",
    )


class FakeFocusClient:
    """Records focus calls; `errors[method]` is raised by that method (once)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, FocusKey]] = []
        self.errors: dict[str, FocusError] = {}
        self.history: list[Event] = []
        self.history_requests: list[QueryStreamHistoryRequest] = []
        self.history_error: HostCallError | None = None

    def _call(self, method: str, session_id: str, target: FocusKey) -> None:
        self.calls.append((method, session_id, target))
        error = self.errors.pop(method, None)
        if error is not None:
            raise error

    async def join_focus(
        self, session_id: str, target: FocusKey, *, exist_ok: bool = False
    ) -> None:
        try:
            self._call("join_focus", session_id, target)
        except FocusError as err:
            if not (exist_ok and err.is_already_member):
                raise

    async def leave_focus(self, session_id: str, target: FocusKey) -> None:
        self._call("leave_focus", session_id, target)

    async def present_focus(self, session_id: str, target: FocusKey) -> None:
        self._call("present_focus", session_id, target)

    async def query_stream_history(self, request: QueryStreamHistoryRequest) -> list[Event]:
        self.history_requests.append(request)
        if self.history_error is not None:
            raise self.history_error
        return [e for e in self.history if e.stream == request.stream][-request.count :]

    def calls_of(self, method: str) -> list[tuple[str, str, FocusKey]]:
        return [c for c in self.calls if c[0] == method]
