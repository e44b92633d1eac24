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

from collections.abc import Iterator
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from holomush.scene.v1 import scene_pb2
from holomush_sdk import Rule, ValidationError, register_rules
from holomush_sdk.validation import DEFAULT_RULES, Violation

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_ID",
    "MAX_LIST",
    "MAX_LIST_LIMIT",
    "MAX_TITLE",
    "NO_NUL",
    "POSE_ORDER_CHOICES",
    "STATE_CHOICES",
    "VISIBILITY_CHOICES",
    "nul_violations",
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

NO_NUL = "value must not contain NUL characters"


def nul_violations(message: Message, prefix: str = "") -> Iterator[Violation]:
    """Every text in `message` holding a NUL: string fields, list items, map keys and
    values, and the same inside nested messages."""
    for field, value in message.ListFields():
        for path, element in _elements(field, value, prefix + field.name):
            if isinstance(element, str) and "\x00" in element:
                yield Violation(path, NO_NUL)
            elif isinstance(element, Message):
                yield from nul_violations(element, path + ".")


def _elements(field: FieldDescriptor, value: Any, path: str) -> Iterator[tuple[str, object]]:
    """(path, element) pairs of one field's value; a map gives its keys and its values."""
    entry = field.message_type
    if entry is not None and entry.GetOptions().map_entry:
        for key, item in value.items():
            yield f"{path}[{key!r}]", key
            yield f"{path}[{key!r}]", item
    elif field.is_repeated:
        for index, item in enumerate(value):
            yield f"{path}[{index}]", item
    else:
        yield path, value


def validate(request: Message) -> None:
    """Raise `ValidationError` when `request` breaks its rules (as the interceptor would)
    or carries a NUL in a text field."""
    violations = [*DEFAULT_RULES.violations(request), *nul_violations(request)]
    if violations:
        raise ValidationError(violations)
