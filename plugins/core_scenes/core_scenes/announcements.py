"""What core-scenes publishes to the host's event store, and on which streams.

A scene has two streams, the ones the host's scene focus subscribes a session to:
``scene:<id>:ic`` (poses) and ``scene:<id>:ooc`` (notices: lifecycle, membership,
publication). ``<id>`` is the scene ID exactly as stored (``scene-<ULID>``), the same ID
the focus calls use, so everything a scene publishes reaches its members.
"""

from __future__ import annotations

import json
from typing import Any

from core_scenes.model import SceneRecord
from holomush_sdk import EmitIntent

__all__ = [
    "POSE_EVENT_TYPE",
    "created_intent",
    "ic_stream",
    "notice_intent",
    "ooc_stream",
    "pose_intent",
]

POSE_EVENT_TYPE = "pose"
NOTICE_EVENT_TYPE = "system"


def ic_stream(scene_id: str) -> str:
    return f"scene:{scene_id}:ic"


def ooc_stream(scene_id: str) -> str:
    return f"scene:{scene_id}:ooc"


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def created_intent(scene: SceneRecord) -> EmitIntent:
    """``scene.lifecycle.created``; keys in the reference's order, plus ``text`` to show."""
    return EmitIntent(
        stream=ooc_stream(scene.id),
        type=NOTICE_EVENT_TYPE,
        payload=_json(
            {
                "kind": "scene.lifecycle.created",
                "owner_id": scene.owner_id,
                "scene_id": scene.id,
                "title": scene.title,
                "text": f"Scene created: {scene.title} ({scene.id})",
            }
        ),
    )


def notice_intent(scene_id: str, kind: str, text: str, **fields: Any) -> EmitIntent:
    """An OOC notice such as ``scene.lifecycle.ended``; ``text`` is what players see."""
    return EmitIntent(
        stream=ooc_stream(scene_id),
        type=NOTICE_EVENT_TYPE,
        payload=_json({"kind": kind, "scene_id": scene_id, **fields, "text": text}),
    )


def pose_intent(scene_id: str, character_id: str, character_name: str, text: str) -> EmitIntent:
    """A pose on the IC stream, rendered by the host as ``<character_name> <message>``."""
    return EmitIntent(
        stream=ic_stream(scene_id),
        type=POSE_EVENT_TYPE,
        payload=_json(
            {
                "character_id": character_id,
                "character_name": character_name,
                "message": text,
                "scene_id": scene_id,
            }
        ),
    )
