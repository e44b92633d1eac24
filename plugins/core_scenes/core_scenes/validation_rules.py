"""Field rules of the SceneService requests (reference §1.5), registered with the SDK.

Importing this module registers them in the SDK's rule table, which the SDK's interceptor
applies to every RPC; the command path calls `validate` with the same table, so a request
typed by a player is held to exactly the rules of one arriving over gRPC.

Beyond the reference: IDs are at most 128 characters, each tag 1..64 characters and each
content warning 1..100 (the reference bounded only the list sizes); and no text field may
contain a NUL character, which PostgreSQL text cannot store (without this check such a
request reached the database and came back as an internal error).
"""

from __future__ import annotations

from google.protobuf import field_mask_pb2
from google.protobuf.message import Message

from holomush.scene.v1 import scene_pb2
from holomush_sdk import Rule, register_rules
from holomush_sdk.validation import RuleValidator

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_ID",
    "MAX_LIST",
    "MAX_LIST_LIMIT",
    "MAX_TITLE",
    "POSE_ORDER_CHOICES",
    "STATE_CHOICES",
    "VISIBILITY_CHOICES",
    "validate",
]

MAX_ID = 128
MAX_TITLE = 200
MAX_DESCRIPTION = 4096
MAX_LIST = 32
MAX_LIST_LIMIT = 200
VISIBILITY_CHOICES = ("", "open", "private")
POSE_ORDER_CHOICES = ("", "free", "strict", "3pr", "5pr")
STATE_CHOICES = ("", "active", "paused", "ended", "archived")

_ID = Rule(min_len=1, max_len=MAX_ID)
_OPTIONAL_ID = Rule(max_len=MAX_ID)
_TAGS = Rule(max_items=MAX_LIST, items=Rule(min_len=1, max_len=64))
_WARNINGS = Rule(max_items=MAX_LIST, items=Rule(min_len=1, max_len=100))
_CALLER_AND_SCENE = {"character_id": _ID, "scene_id": _ID}

_message: type[Message]
for _message in (
    scene_pb2.GetSceneRequest,
    scene_pb2.EndSceneRequest,
    scene_pb2.PauseSceneRequest,
    scene_pb2.ResumeSceneRequest,
    scene_pb2.JoinSceneRequest,
    scene_pb2.LeaveSceneRequest,
    scene_pb2.CastPublishVoteRequest,
    scene_pb2.GetPoseOrderRequest,
):
    register_rules(_message, _CALLER_AND_SCENE)

register_rules(
    scene_pb2.ListScenesRequest,
    {
        "limit": Rule(gte=0, lte=MAX_LIST_LIMIT),
        "offset": Rule(gte=0),
        "tags": _TAGS,
        "character_id": _OPTIONAL_ID,
        "state": Rule(choices=STATE_CHOICES),
    },
)
register_rules(
    scene_pb2.CreateSceneRequest,
    {
        "character_id": _ID,
        "title": Rule(min_len=1, max_len=MAX_TITLE),
        "description": Rule(max_len=MAX_DESCRIPTION),
        "location_id": _OPTIONAL_ID,
        "visibility": Rule(choices=VISIBILITY_CHOICES),
        "pose_order_mode": Rule(choices=POSE_ORDER_CHOICES),
        "tags": _TAGS,
        "content_warnings": _WARNINGS,
    },
)
register_rules(
    scene_pb2.UpdateSceneRequest,
    {
        **_CALLER_AND_SCENE,
        "title": Rule(max_len=MAX_TITLE),
        "description": Rule(max_len=MAX_DESCRIPTION),
        "visibility": Rule(choices=VISIBILITY_CHOICES),
        "pose_order_mode": Rule(choices=POSE_ORDER_CHOICES),
        "location_id": _OPTIONAL_ID,
        "content_warnings": _WARNINGS,
        "tags": _TAGS,
    },
)
for _message in (scene_pb2.InviteToSceneRequest, scene_pb2.KickFromSceneRequest):
    register_rules(_message, {**_CALLER_AND_SCENE, "target_character_id": _ID})
register_rules(
    scene_pb2.TransferOwnershipRequest, {**_CALLER_AND_SCENE, "new_owner_character_id": _ID}
)

# PostgreSQL text cannot hold NUL: no text of any SceneService request (nor of its field
# mask) may carry one. Without this such a request reached the database and came back as an
# internal error.
for _method in scene_pb2.DESCRIPTOR.services_by_name["SceneService"].methods:
    register_rules(getattr(scene_pb2, _method.input_type.name), {}, nul_free_text=True)
register_rules(field_mask_pb2.FieldMask, {}, nul_free_text=True)

_VALIDATOR = RuleValidator()


def validate(request: Message) -> None:
    """Raise `ValidationError` when `request` breaks its rules (as the interceptor would)."""
    _VALIDATOR.validate(request)
