"""How host-service failures cross the wire: a gRPC code plus a ``"CODE: message"`` text.

Plugins switch on the ``CODE:`` prefix (the SDK's ``split_status_code`` and
``focus_error_code`` read it); the gRPC code is chosen so that a client that only looks at
the code still draws the right conclusion. The focus codes use the SDK's fallback table,
so both readings agree.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

import grpc

from holomush_host.data.errors import (
    ConflictError,
    DataError,
    FocusError,
    FocusErrorCode,
    InvalidInputError,
    NotFoundError,
    SessionExpiredError,
    StoreUnavailableError,
)

__all__ = [
    "INTERNAL_ERROR_CODE",
    "HostServiceError",
    "abort_with",
    "focus_status",
    "status_for",
]

INTERNAL_ERROR_CODE = "INTERNAL"

_FOCUS_STATUS = {
    FocusErrorCode.SESSION_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    FocusErrorCode.SESSION_EXPIRED: grpc.StatusCode.FAILED_PRECONDITION,
    FocusErrorCode.FOCUS_ALREADY_MEMBER: grpc.StatusCode.ALREADY_EXISTS,
    FocusErrorCode.FOCUS_KIND_UNREGISTERED: grpc.StatusCode.INVALID_ARGUMENT,
    FocusErrorCode.FOCUS_POLICY_FAILED: grpc.StatusCode.INTERNAL,
    FocusErrorCode.FOCUS_NOT_MEMBER: grpc.StatusCode.FAILED_PRECONDITION,
}

_log = logging.getLogger(__name__)


class HostServiceError(Exception):
    """A refusal the host decided on itself (not a data layer error)."""

    def __init__(self, status: grpc.StatusCode, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def focus_status(code: FocusErrorCode) -> grpc.StatusCode:
    return _FOCUS_STATUS[code]


def status_for(exc: Exception) -> tuple[grpc.StatusCode, str] | None:
    """The status of an expected failure, or None for an unexpected one (a bug)."""
    if isinstance(exc, HostServiceError):
        return exc.status, str(exc)
    if isinstance(exc, FocusError):
        return focus_status(exc.code), f"{exc.code}: {exc.message}"
    if isinstance(exc, InvalidInputError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc)
    if isinstance(exc, NotFoundError):
        return grpc.StatusCode.NOT_FOUND, str(exc)
    if isinstance(exc, SessionExpiredError):
        return grpc.StatusCode.FAILED_PRECONDITION, str(exc)
    if isinstance(exc, ConflictError):
        return grpc.StatusCode.ALREADY_EXISTS, str(exc)
    if isinstance(exc, StoreUnavailableError):
        return grpc.StatusCode.UNAVAILABLE, str(exc)
    if isinstance(exc, DataError):
        return grpc.StatusCode.FAILED_PRECONDITION, str(exc)
    return None


async def abort_with(
    context: grpc.aio.ServicerContext[Any, Any], exc: Exception, *, rpc: str, plugin: str
) -> NoReturn:
    """End the call with ``exc``'s status; an unexpected error is logged, never sent."""
    known = status_for(exc)
    if known is None:
        _log.error("%s from plugin %s failed", rpc, plugin, exc_info=exc)
        known = (grpc.StatusCode.INTERNAL, f"{INTERNAL_ERROR_CODE}: internal error")
    await context.abort(*known)
