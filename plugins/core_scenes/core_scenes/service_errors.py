"""How a refused or failed scene operation reaches the caller: gRPC code and message.

User errors (bad input, not found, not allowed, wrong state) keep their specific message.
Internal failures get a short message naming the operation; the details (database
errors …) go to the plugin's log only, never to a caller or a player.
"""

from __future__ import annotations

import logging

import grpc

from core_scenes.errors import SceneError, SceneErrorCode
from holomush_sdk import PluginError

__all__ = ["SceneServiceError", "internal", "invalid_argument", "service_error"]

_log = logging.getLogger("core_scenes")

_USER_FACING = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.FAILED_PRECONDITION,
    }
)

_STATUS = {
    SceneErrorCode.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    SceneErrorCode.PARTICIPANT_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    SceneErrorCode.TRANSITION_FORBIDDEN: grpc.StatusCode.FAILED_PRECONDITION,
    SceneErrorCode.OWNER_CANNOT_LEAVE: grpc.StatusCode.FAILED_PRECONDITION,
    SceneErrorCode.KICK_FORBIDDEN: grpc.StatusCode.FAILED_PRECONDITION,
    SceneErrorCode.TRANSFER_TARGET_NOT_MEMBER: grpc.StatusCode.FAILED_PRECONDITION,
    SceneErrorCode.POSE_OUT_OF_TURN: grpc.StatusCode.FAILED_PRECONDITION,
    SceneErrorCode.ALREADY_PUBLISHED: grpc.StatusCode.FAILED_PRECONDITION,
    SceneErrorCode.NOT_OWNER: grpc.StatusCode.PERMISSION_DENIED,
    SceneErrorCode.NOT_PARTICIPANT: grpc.StatusCode.PERMISSION_DENIED,
    SceneErrorCode.NOT_VISIBLE: grpc.StatusCode.PERMISSION_DENIED,
    SceneErrorCode.JOIN_NOT_INVITED: grpc.StatusCode.PERMISSION_DENIED,
    SceneErrorCode.INVITE_TARGET_ALREADY_MEMBER: grpc.StatusCode.ALREADY_EXISTS,
    SceneErrorCode.STORE_UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
}

# Messages that differ from the store's own, per (code, operation). Operation names are
# the service's snake_case RPC names.
_LIFECYCLE_RPCS = frozenset(
    {"end_scene", "pause_scene", "resume_scene", "update_scene", "archive_scene"}
)
_MESSAGES = {
    (SceneErrorCode.OWNER_CANNOT_LEAVE, "leave_scene"): (
        "scene owners cannot leave; use `scene end` to terminate the scene "
        "or transfer ownership first"
    ),
    (SceneErrorCode.TRANSITION_FORBIDDEN, "transfer_ownership"): (
        "scene cannot have ownership transferred in its current state"
    ),
}


class SceneServiceError(PluginError):
    """A SceneService call failed: `status` is the gRPC code, `message` the text to send.

    `code` is the domain `SceneErrorCode` when there is one.
    """

    def __init__(
        self, status: grpc.StatusCode, message: str, *, code: SceneErrorCode | None = None
    ) -> None:
        super().__init__(message, code=code, status=status)

    @property
    def user_facing(self) -> bool:
        """True when the message is meant for the person who made the request."""
        return self.status in _USER_FACING


def invalid_argument(message: str) -> SceneServiceError:
    return SceneServiceError(grpc.StatusCode.INVALID_ARGUMENT, message)


def internal(operation: str, detail: BaseException | str) -> SceneServiceError:
    """An internal failure of `operation` ("end scene"); `detail` is logged, not returned."""
    _log.error("failed to %s: %s", operation, detail)
    return SceneServiceError(
        grpc.StatusCode.INTERNAL, f"failed to {operation}: internal error (see the plugin log)"
    )


def service_error(err: SceneError, rpc: str) -> SceneServiceError:
    """The caller-facing form of a domain error raised during `rpc` (e.g. "end_scene")."""
    status = _STATUS.get(err.code)
    if status is None:
        return internal(rpc.replace("_", " "), err)
    message = _MESSAGES.get((err.code, rpc), err.message)
    if err.code is SceneErrorCode.TRANSITION_FORBIDDEN and (err.code, rpc) not in _MESSAGES:
        if rpc in _LIFECYCLE_RPCS:
            message = f"scene transition forbidden: {err.message}"
        elif rpc == "join_scene":
            message = f"scene cannot be joined in its current state: {err.message}"
    if err.code is SceneErrorCode.STORE_UNAVAILABLE:
        _log.warning("%s before the store is ready: %s", rpc, err.message)
    return SceneServiceError(status, message, code=err.code)
