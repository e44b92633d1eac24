"""The scene domain: states, visibilities, pose-order modes, roles and the stored records."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "ACTIVE_STATES",
    "NewScene",
    "OpsEvent",
    "OpsEventKind",
    "ParticipantRecord",
    "ParticipantRole",
    "PoseOrderMode",
    "PoserStanding",
    "SceneListQuery",
    "SceneRecord",
    "SceneState",
    "SceneUpdate",
    "Visibility",
    "VoteTally",
]


class SceneState(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"
    ARCHIVED = "archived"


ACTIVE_STATES = frozenset({SceneState.ACTIVE, SceneState.PAUSED})
"""States in which a scene is running: it can be joined, posed in (active), updated …"""


class Visibility(enum.StrEnum):
    OPEN = "open"
    PRIVATE = "private"


class PoseOrderMode(enum.StrEnum):
    FREE = "free"
    STRICT = "strict"
    THREE_POSE_RULE = "3pr"
    FIVE_POSE_RULE = "5pr"


class ParticipantRole(enum.StrEnum):
    OWNER = "owner"
    MEMBER = "member"
    INVITED = "invited"

    @property
    def is_participant(self) -> bool:
        """Owners and members take part; an invitee has only the right to join."""
        return self is not ParticipantRole.INVITED


class OpsEventKind(enum.StrEnum):
    """Kinds of the append-only ``scene_ops_events`` audit trail."""

    LIFECYCLE_CREATED = "lifecycle.created"
    LIFECYCLE_ENDED = "lifecycle.ended"
    LIFECYCLE_PAUSED = "lifecycle.paused"
    LIFECYCLE_RESUMED = "lifecycle.resumed"
    LIFECYCLE_ARCHIVED = "lifecycle.archived"
    SETTINGS_UPDATED = "settings.updated"
    MEMBERSHIP_INVITE = "membership.invite"
    MEMBERSHIP_JOIN = "membership.join"
    MEMBERSHIP_LEAVE = "membership.leave"
    MEMBERSHIP_KICK = "membership.kick"
    MEMBERSHIP_OWNERSHIP_TRANSFERRED = "membership.ownership_transferred"
    POSE_POSTED = "pose.posted"
    PUBLISH_VOTE = "publish.vote"
    PUBLISH_PUBLISHED = "publish.published"


@dataclass(frozen=True, slots=True)
class ParticipantRecord:
    character_id: str
    role: ParticipantRole
    joined_at: datetime
    character_name: str = ""


@dataclass(frozen=True, slots=True)
class SceneRecord:
    """A scene row with its participant rows (owner first, then by join time)."""

    id: str
    title: str
    owner_id: str
    state: SceneState
    visibility: Visibility
    pose_order: PoseOrderMode
    created_at: datetime
    description: str = ""
    location_id: str = ""
    tags: tuple[str, ...] = ()
    content_warnings: tuple[str, ...] = ()
    ended_at: datetime | None = None
    archived_at: datetime | None = None
    published_at: datetime | None = None
    participants: tuple[ParticipantRecord, ...] = ()

    def role_of(self, character_id: str) -> ParticipantRole | None:
        for participant in self.participants:
            if participant.character_id == character_id:
                return participant.role
        return None

    def is_participant(self, character_id: str) -> bool:
        """Owner or member (not a mere invitee)."""
        role = self.role_of(character_id)
        return role is not None and role.is_participant

    def can_see(self, character_id: str) -> bool:
        """Open scenes are visible to everyone; private ones to owner, members, invitees."""
        return self.visibility is Visibility.OPEN or self.role_of(character_id) is not None

    @property
    def participant_ids(self) -> list[str]:
        return [p.character_id for p in self.participants if p.role.is_participant]

    @property
    def invitee_ids(self) -> list[str]:
        return [p.character_id for p in self.participants if p.role is ParticipantRole.INVITED]


@dataclass(frozen=True, slots=True)
class NewScene:
    """What `SceneStore.create_with_owner` inserts (state active; created_at from the DB)."""

    id: str
    title: str
    owner_id: str
    visibility: Visibility = Visibility.OPEN
    pose_order: PoseOrderMode = PoseOrderMode.FREE
    description: str = ""
    location_id: str = ""
    tags: tuple[str, ...] = ()
    content_warnings: tuple[str, ...] = ()
    owner_name: str = ""


# The fields UpdateScene may change, named as in its update_mask.
UPDATE_PATHS = (
    "title",
    "description",
    "visibility",
    "pose_order_mode",
    "location_id",
    "content_warnings",
    "tags",
)


@dataclass(frozen=True, slots=True)
class SceneUpdate:
    """Fields to change; None leaves a field alone. ``location_id=""`` clears it."""

    title: str | None = None
    description: str | None = None
    visibility: Visibility | None = None
    pose_order: PoseOrderMode | None = None
    location_id: str | None = None
    content_warnings: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None

    def changed_fields(self) -> list[str]:
        """The names (as in UpdateScene's mask) of the fields this update sets."""
        return [
            name
            for name in UPDATE_PATHS
            if getattr(self, "pose_order" if name == "pose_order_mode" else name) is not None
        ]


@dataclass(frozen=True, slots=True)
class SceneListQuery:
    """Scenes `viewer_id` may see (open ones, plus private ones it belongs to or is invited
    to; with no viewer only open ones), newest first."""

    viewer_id: str = ""
    states: Sequence[SceneState] = ()
    """Empty: any state."""
    tags: Sequence[str] = ()
    """A scene must carry every one of these."""
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class PoserStanding:
    """One participant's place in the pose order of a scene."""

    character_id: str
    character_name: str
    joined_at: datetime
    last_pose_seq: int | None = None
    """Sequence number of the participant's latest pose; None if it never posed."""
    last_posed_at: datetime | None = None
    poses_since: int = 0
    """Poses made in the scene after the participant's latest one (by anyone else)."""


@dataclass(frozen=True, slots=True)
class VoteTally:
    """Publish consent of a scene's current participants after a vote."""

    participants: int
    yes: int
    no: int
    published: bool
    """True when this vote completed unanimous consent and published the scene."""

    @property
    def pending(self) -> int:
        return self.participants - self.yes - self.no


@dataclass(frozen=True, slots=True)
class OpsEvent:
    id: str
    scene_id: str
    kind: OpsEventKind
    actor_id: str
    target_id: str | None
    payload: dict[str, object] = field(default_factory=dict)
    occurred_at: datetime | None = None
