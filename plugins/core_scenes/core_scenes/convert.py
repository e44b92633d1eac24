"""Records → SceneService messages."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from core_scenes.model import ParticipantRecord, SceneRecord
from core_scenes.pose_order import PoseOrderEntry
from holomush.scene.v1 import scene_pb2

__all__ = ["participant_info", "pose_order_entry", "scene_info", "timestamp"]


def timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def participant_info(participant: ParticipantRecord) -> scene_pb2.ParticipantInfo:
    return scene_pb2.ParticipantInfo(
        character_id=participant.character_id,
        character_name=participant.character_name,
        role=str(participant.role),
        joined_at=timestamp(participant.joined_at),
    )


def scene_info(scene: SceneRecord) -> scene_pb2.SceneInfo:
    """Every field filled, ``ended_at`` and ``participants`` included (owner, members and
    invitees, each with its role, in join order)."""
    return scene_pb2.SceneInfo(
        id=scene.id,
        title=scene.title,
        description=scene.description,
        location_id=scene.location_id,
        owner_id=scene.owner_id,
        state=str(scene.state),
        pose_order_mode=str(scene.pose_order),
        content_warnings=list(scene.content_warnings),
        tags=list(scene.tags),
        visibility=str(scene.visibility),
        created_at=timestamp(scene.created_at),
        ended_at=timestamp(scene.ended_at),
        participants=[participant_info(p) for p in scene.participants],
    )


def pose_order_entry(entry: PoseOrderEntry) -> scene_pb2.PoseOrderEntry:
    return scene_pb2.PoseOrderEntry(
        character_id=entry.character_id,
        character_name=entry.character_name,
        last_posed_at=timestamp(entry.last_posed_at),
        is_eligible=entry.is_eligible,
    )
