"""Who may do what to a scene, and in which states: the per-scene permissions.

Every store implementation applies these checks inside the transaction that holds the
scene's row lock, so a check and the write it guards cannot be separated by a concurrent
change (an ownership transfer, an end …). The host's policy engine applies the manifest
policies as a second layer; these hold even without it.

Order of checks for every operation: the scene exists → the caller may do it → the
scene's state allows it. Joining checks the state before the invitation, as the reference.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from core_scenes.errors import SceneError, SceneErrorCode
from core_scenes.lifecycle import is_valid_transition
from core_scenes.model import (
    ACTIVE_STATES,
    ParticipantRole,
    PoserStanding,
    SceneRecord,
    SceneState,
    Visibility,
)
from core_scenes.pose_order import compute_pose_order

__all__ = [
    "SceneOp",
    "Who",
    "check_invite",
    "check_join",
    "check_kick",
    "check_leave",
    "check_op",
    "check_pose_turn",
    "check_transfer",
    "check_visible",
    "check_vote",
    "not_found",
]


class Who(enum.Enum):
    """Who may perform an operation."""

    OWNER = "owner"
    PARTICIPANT = "participant"  # owner or member
    ANYONE = "anyone"


@dataclass(frozen=True)
class _OpSpec:
    verb: str
    """Infinitive for permission messages: "only the scene owner can <verb>"."""
    participle: str
    """For state messages: 'scene in state "ended" cannot be <participle>'."""
    who: Who
    states: frozenset[SceneState]
    target: SceneState | None = None
    """The state a lifecycle operation moves the scene to."""
    state_message: str | None = None
    """Replaces the generic wrong-state message; ``{state}`` is the current state."""


_ENDED_STATES = frozenset({SceneState.ENDED, SceneState.ARCHIVED})


def _lifecycle(verb: str, participle: str, who: Who, target: SceneState) -> _OpSpec:
    """A state change, allowed from the states the state machine allows it from."""
    sources = frozenset(s for s in SceneState if is_valid_transition(s, target))
    return _OpSpec(verb, participle, who, sources, target)


class SceneOp(enum.Enum):
    END = _lifecycle("end the scene", "ended", Who.OWNER, SceneState.ENDED)
    PAUSE = _lifecycle("pause the scene", "paused", Who.OWNER, SceneState.PAUSED)
    RESUME = _lifecycle("resume the scene", "resumed", Who.PARTICIPANT, SceneState.ACTIVE)
    ARCHIVE = _lifecycle("archive the scene", "archived", Who.OWNER, SceneState.ARCHIVED)
    UPDATE = _OpSpec("update the scene", "updated", Who.OWNER, ACTIVE_STATES)
    JOIN = _OpSpec("join the scene", "joined", Who.ANYONE, ACTIVE_STATES)
    LEAVE = _OpSpec("leave the scene", "left", Who.ANYONE, ACTIVE_STATES)
    INVITE = _OpSpec("invite to the scene", "invited to", Who.OWNER, ACTIVE_STATES)
    KICK = _OpSpec("kick from the scene", "kicked from", Who.OWNER, ACTIVE_STATES)
    TRANSFER = _OpSpec("transfer ownership", "transferred", Who.OWNER, ACTIVE_STATES)
    POSE = _OpSpec("pose in the scene", "posed in", Who.PARTICIPANT, frozenset({SceneState.ACTIVE}))
    VOTE = _OpSpec(
        "vote on publishing the scene",
        "voted on",
        Who.PARTICIPANT,
        _ENDED_STATES,
        state_message='publish votes open once the scene has ended (it is "{state}")',
    )

    @property
    def spec(self) -> _OpSpec:
        return self.value

    @property
    def name_lower(self) -> str:
        return self.name.lower()


def not_found(scene_id: str) -> SceneError:
    return SceneError(
        SceneErrorCode.NOT_FOUND, f"scene not found: {scene_id}", context={"scene_id": scene_id}
    )


def check_visible(scene: SceneRecord, viewer_id: str) -> None:
    """Private scenes are visible only to their owner, members and invitees."""
    if not scene.can_see(viewer_id):
        raise SceneError(
            SceneErrorCode.NOT_VISIBLE,
            f"scene {scene.id} is private and you are not a participant or invitee",
            context={"scene_id": scene.id, "character_id": viewer_id},
        )


def _check_state(scene: SceneRecord, op: SceneOp) -> None:
    if scene.state not in op.spec.states:
        template = op.spec.state_message or 'scene in state "{state}" cannot be {participle}'
        raise SceneError(
            SceneErrorCode.TRANSITION_FORBIDDEN,
            template.format(state=scene.state, participle=op.spec.participle),
            context={"scene_id": scene.id, "op": op.name_lower, "current_state": scene.state},
        )


def _check_actor(scene: SceneRecord, op: SceneOp, actor_id: str) -> None:
    spec = op.spec
    if spec.who is Who.OWNER and scene.owner_id != actor_id:
        raise SceneError(
            SceneErrorCode.NOT_OWNER,
            f"only the scene owner can {spec.verb}",
            context={"scene_id": scene.id, "op": op.name_lower, "character_id": actor_id},
        )
    if spec.who is Who.PARTICIPANT and not scene.is_participant(actor_id):
        raise SceneError(
            SceneErrorCode.NOT_PARTICIPANT,
            f"only participants of the scene can {spec.verb}",
            context={"scene_id": scene.id, "op": op.name_lower, "character_id": actor_id},
        )


def check_op(scene: SceneRecord, op: SceneOp, actor_id: str) -> None:
    """Raise `SceneError` unless `actor_id` may perform `op` on `scene` now."""
    _check_actor(scene, op, actor_id)
    _check_state(scene, op)


def check_join(scene: SceneRecord, character_id: str) -> None:
    """Open scenes: anyone. Private scenes: invitees (and those already in it)."""
    _check_state(scene, SceneOp.JOIN)
    if scene.visibility is Visibility.PRIVATE and scene.role_of(character_id) is None:
        raise SceneError(
            SceneErrorCode.JOIN_NOT_INVITED,
            "character not invited to private scene",
            context={
                "scene_id": scene.id,
                "character_id": character_id,
                "visibility": scene.visibility,
            },
        )


def check_leave(scene: SceneRecord, character_id: str) -> ParticipantRole:
    """Members and invitees may leave a running scene; the owner may not. Returns the role."""
    role = scene.role_of(character_id)
    if role is None:
        raise SceneError(
            SceneErrorCode.PARTICIPANT_NOT_FOUND,
            "character not in scene",
            context={"scene_id": scene.id, "character_id": character_id},
        )
    if role is ParticipantRole.OWNER:
        raise SceneError(
            SceneErrorCode.OWNER_CANNOT_LEAVE,
            "scene owners cannot leave; use scene end or transfer ownership",
            context={"scene_id": scene.id, "character_id": character_id},
        )
    _check_state(scene, SceneOp.LEAVE)
    return role


def check_kick(scene: SceneRecord, actor_id: str, target_id: str) -> ParticipantRole:
    """The owner may remove a member or an invitee (never itself). Returns the target's role."""
    check_op(scene, SceneOp.KICK, actor_id)
    role = scene.role_of(target_id)
    if role is None:
        raise SceneError(
            SceneErrorCode.PARTICIPANT_NOT_FOUND,
            "target not in scene",
            context={"scene_id": scene.id, "character_id": target_id},
        )
    if role is ParticipantRole.OWNER:
        raise SceneError(
            SceneErrorCode.KICK_FORBIDDEN,
            "scene owner cannot be kicked",
            context={"scene_id": scene.id, "character_id": target_id},
        )
    return role


def check_invite(scene: SceneRecord, actor_id: str, target_id: str) -> bool:
    """The owner may invite anyone not yet in the scene. Returns False when the target is
    already invited (a no-op)."""
    check_op(scene, SceneOp.INVITE, actor_id)
    role = scene.role_of(target_id)
    if role is ParticipantRole.INVITED:
        return False
    if role is not None:
        raise SceneError(
            SceneErrorCode.INVITE_TARGET_ALREADY_MEMBER,
            "character already owns this scene"
            if role is ParticipantRole.OWNER
            else "character is already a member of this scene",
            context={"scene_id": scene.id, "character_id": target_id, "current_role": role},
        )
    return True


def check_transfer(scene: SceneRecord, actor_id: str, new_owner_id: str) -> bool:
    """The owner may hand the scene to a member. Returns False for a transfer to itself."""
    check_op(scene, SceneOp.TRANSFER, actor_id)
    if new_owner_id == actor_id:
        return False
    if scene.role_of(new_owner_id) is not ParticipantRole.MEMBER:
        raise SceneError(
            SceneErrorCode.TRANSFER_TARGET_NOT_MEMBER,
            "transfer target must be an existing member of the scene",
            context={"scene_id": scene.id, "character_id": new_owner_id},
        )
    return True


def check_vote(scene: SceneRecord, voter_id: str) -> None:
    """Participants vote once the scene has ended, until it is published."""
    check_op(scene, SceneOp.VOTE, voter_id)
    if scene.published_at is not None:
        raise SceneError(
            SceneErrorCode.ALREADY_PUBLISHED,
            "scene is already published",
            context={"scene_id": scene.id},
        )


def check_pose_turn(
    scene: SceneRecord, standings: Sequence[PoserStanding], character_id: str
) -> None:
    """A participant may pose in an active scene when the pose order makes it eligible."""
    check_op(scene, SceneOp.POSE, character_id)
    entries = compute_pose_order(scene.pose_order, standings)
    if any(e.character_id == character_id and e.is_eligible for e in entries):
        return
    waiting_on = ", ".join(e.character_name or e.character_id for e in entries if e.is_eligible)
    raise SceneError(
        SceneErrorCode.POSE_OUT_OF_TURN,
        f"it is not your turn to pose (pose order {scene.pose_order}; next: {waiting_on})",
        context={"scene_id": scene.id, "character_id": character_id},
    )
