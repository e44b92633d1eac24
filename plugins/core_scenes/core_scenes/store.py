"""The storage interface the service and the resolver depend on.

`core_scenes.pg_store.PostgresSceneStore` implements it on PostgreSQL; unit tests use an
in-memory fake. Every mutating method checks `core_scenes.rules` against the scene as it
is *inside* the transaction that writes, and records one ops event with the change.
Methods raise `SceneError`.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Protocol

from core_scenes.model import (
    NewScene,
    OpsEvent,
    OpsEventKind,
    ParticipantRole,
    PoserStanding,
    SceneListQuery,
    SceneRecord,
    SceneState,
    SceneUpdate,
    VoteTally,
)
from core_scenes.rules import SceneOp

__all__ = ["LIFECYCLE_EVENT_KINDS", "JoinOutcome", "PoseDelivery", "SceneStore"]


class JoinOutcome(enum.Enum):
    INSERTED = "inserted"
    """A new member row."""
    PROMOTED = "promoted"
    """An invitee became a member."""
    NO_CHANGE = "no_change"
    """Already the owner or a member."""


LIFECYCLE_EVENT_KINDS = {
    SceneOp.END: OpsEventKind.LIFECYCLE_ENDED,
    SceneOp.PAUSE: OpsEventKind.LIFECYCLE_PAUSED,
    SceneOp.RESUME: OpsEventKind.LIFECYCLE_RESUMED,
    SceneOp.ARCHIVE: OpsEventKind.LIFECYCLE_ARCHIVED,
}
"""The lifecycle operations `SceneStore.transition` performs, with their ops event kinds."""

PoseDelivery = Callable[[SceneRecord], Awaitable[None]]
"""Publishes a pose; runs inside the pose's transaction, so a failure records nothing."""


class SceneStore(Protocol):
    async def create_with_owner(self, scene: NewScene) -> SceneRecord:
        """Insert the scene, its owner participant and ``lifecycle.created`` at once."""
        ...

    async def get(self, scene_id: str) -> SceneRecord: ...

    async def list_scenes(self, query: SceneListQuery) -> list[SceneRecord]: ...

    async def transition(
        self, scene_id: str, op: SceneOp, actor_id: str
    ) -> tuple[SceneRecord, SceneState]:
        """END, PAUSE, RESUME or ARCHIVE; returns the scene after it and the prior state."""
        ...

    async def update(self, scene_id: str, actor_id: str, update: SceneUpdate) -> SceneRecord: ...

    async def join(self, scene_id: str, character_id: str, character_name: str) -> JoinOutcome: ...

    async def leave(self, scene_id: str, character_id: str) -> ParticipantRole:
        """Remove a member or an invitee; returns the role it had."""
        ...

    async def invite(self, scene_id: str, actor_id: str, target_id: str) -> bool:
        """False when the target was already invited (nothing changes)."""
        ...

    async def kick(self, scene_id: str, actor_id: str, target_id: str) -> ParticipantRole: ...

    async def transfer(self, scene_id: str, actor_id: str, new_owner_id: str) -> bool:
        """False for a transfer to the current owner (nothing changes)."""
        ...

    async def pose_standings(self, scene_id: str) -> tuple[SceneRecord, list[PoserStanding]]:
        """The scene and each participant's place in its pose order (join order)."""
        ...

    async def record_pose(
        self, scene_id: str, character_id: str, character_name: str, deliver: PoseDelivery
    ) -> SceneRecord:
        """Check the poser's turn, record the pose and call `deliver`, atomically."""
        ...

    async def cast_vote(self, scene_id: str, character_id: str, vote: bool) -> VoteTally: ...

    async def ops_events(self, scene_id: str) -> list[OpsEvent]:
        """The scene's ops events, oldest first."""
        ...

    async def close(self) -> None: ...
