"""Domain errors of core-scenes: one code per rule a request can break.

The store raises `SceneError`; the service turns each code into a gRPC status and a
message for the caller (`core_scenes.service`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import grpc

from holomush_sdk import PluginError

__all__ = ["SceneError", "SceneErrorCode"]


class SceneErrorCode(enum.StrEnum):
    NOT_FOUND = "SCENE_NOT_FOUND"
    CREATE_FAILED = "SCENE_CREATE_FAILED"
    TRANSITION_FORBIDDEN = "SCENE_TRANSITION_FORBIDDEN"
    NOT_OWNER = "SCENE_NOT_OWNER"
    NOT_PARTICIPANT = "SCENE_NOT_PARTICIPANT"
    NOT_VISIBLE = "SCENE_NOT_VISIBLE"
    JOIN_NOT_INVITED = "SCENE_JOIN_NOT_INVITED"
    PARTICIPANT_NOT_FOUND = "SCENE_PARTICIPANT_NOT_FOUND"
    OWNER_CANNOT_LEAVE = "SCENE_OWNER_CANNOT_LEAVE"
    INVITE_TARGET_ALREADY_MEMBER = "SCENE_INVITE_TARGET_ALREADY_MEMBER"
    KICK_FORBIDDEN = "SCENE_KICK_FORBIDDEN"
    TRANSFER_TARGET_NOT_MEMBER = "SCENE_TRANSFER_TARGET_NOT_MEMBER"
    POSE_OUT_OF_TURN = "SCENE_POSE_OUT_OF_TURN"
    ALREADY_PUBLISHED = "SCENE_ALREADY_PUBLISHED"
    OPS_EVENT_INVALID_KIND = "SCENE_OPS_EVENT_INVALID_KIND"
    STORE_FAILED = "SCENE_STORE_FAILED"
    STORE_UNAVAILABLE = "SCENE_STORE_UNAVAILABLE"
    INIT_FAILED = "SCENE_INIT_FAILED"


class SceneError(PluginError):
    """A scene operation was refused (or the store failed); `code` says which rule.

    `context` carries details such as ``scene_id``, ``op`` and ``current_state``.
    """

    code: SceneErrorCode

    def __init__(
        self,
        code: SceneErrorCode,
        message: str,
        *,
        context: Mapping[str, str] | None = None,
        status: grpc.StatusCode = grpc.StatusCode.UNKNOWN,
    ) -> None:
        super().__init__(message, code=code, status=status, context=context)
        self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
