"""FocusClient: drive server-owned session focus (scenes today) through the host.

A plugin never mutates a session's focus memberships itself: it asks the host to join,
leave or present a focus target, and the host decides streams, replay and cursors. The
host reports failures as gRPC statuses; they arrive here as `FocusError` with one of the
six `FocusErrorCode` values::

    try:
        await self.focus.join_focus(req.session_id, FocusKey(FocusKind.SCENE, scene_id))
    except FocusError as err:
        if not err.is_already_member:   # joining twice is fine
            return errorf("failed to join scene: %s", err)

or simply ``await focus.join_focus(session_id, key, exist_ok=True)``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import grpc

from holomush.plugin.v1 import plugin_pb2
from holomush_sdk._host_channel import HostChannel, RpcError, split_status_code
from holomush_sdk.errors import HostCallError
from holomush_sdk.events import Event, event_from_proto

__all__ = [
    "FocusClient",
    "FocusClientAware",
    "FocusError",
    "FocusErrorCode",
    "FocusKey",
    "FocusKind",
    "HostFocusClient",
    "QueryStreamHistoryRequest",
    "focus_error_code",
    "focus_kind_to_proto",
]

_MAX_HISTORY_COUNT = 1 << 30  # guard for the int32 field; the host itself caps at 500


class FocusKind(enum.StrEnum):
    SCENE = "scene"


def focus_kind_to_proto(kind: str) -> plugin_pb2.FocusKind.ValueType:
    """``"scene"`` → FOCUS_KIND_SCENE; anything else → FOCUS_KIND_UNSPECIFIED."""
    return (
        plugin_pb2.FOCUS_KIND_SCENE
        if kind == FocusKind.SCENE
        else plugin_pb2.FOCUS_KIND_UNSPECIFIED
    )


@dataclass(frozen=True, slots=True)
class FocusKey:
    kind: FocusKind | str
    target_id: str


@dataclass(frozen=True, slots=True)
class QueryStreamHistoryRequest:
    """Read the newest `count` events of `stream` (the host caps count at 500).

    `not_before` drops older events; a naive datetime is taken as UTC.
    """

    stream: str
    count: int = 20
    not_before: datetime | None = None


class FocusErrorCode(enum.StrEnum):
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND"
    """The session does not exist."""
    SESSION_EXPIRED = "SESSION_EXPIRED"
    """The session is past its TTL."""
    FOCUS_ALREADY_MEMBER = "FOCUS_ALREADY_MEMBER"
    """Membership already exists: treat as idempotent success."""
    FOCUS_KIND_UNREGISTERED = "FOCUS_KIND_UNREGISTERED"
    """The host has no policy registered for this FocusKind."""
    FOCUS_POLICY_FAILED = "FOCUS_POLICY_FAILED"
    """The kind policy rejected the join."""
    FOCUS_NOT_MEMBER = "FOCUS_NOT_MEMBER"
    """(present_focus only) The target is not in the session's memberships."""


# Used only when the host's message carries no known code.
_CODE_BY_STATUS = {
    grpc.StatusCode.NOT_FOUND: FocusErrorCode.SESSION_NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS: FocusErrorCode.FOCUS_ALREADY_MEMBER,
    grpc.StatusCode.FAILED_PRECONDITION: FocusErrorCode.SESSION_EXPIRED,
    grpc.StatusCode.INVALID_ARGUMENT: FocusErrorCode.FOCUS_KIND_UNREGISTERED,
    grpc.StatusCode.INTERNAL: FocusErrorCode.FOCUS_POLICY_FAILED,
}


def focus_error_code(status: grpc.StatusCode, message: str) -> FocusErrorCode | None:
    """The focus code of a host error: a known code in the message (``"CODE"`` or
    ``"CODE: detail"``) wins; a message stamped with another code (say
    ``"INVALID_ARGUMENT: …"``) is not a focus error; otherwise the gRPC status decides."""
    prefix, _ = split_status_code(message)
    for candidate in (message.strip(), prefix):
        if candidate is not None and candidate in FocusErrorCode.__members__:
            return FocusErrorCode(candidate)
    if prefix is not None:
        return None
    return _CODE_BY_STATUS.get(status)


class FocusError(HostCallError):
    """A focus call failed. `code` is a `FocusErrorCode`, or None for other failures."""

    code: FocusErrorCode | None  # type: ignore[assignment]

    def __init__(
        self,
        message: str,
        *,
        code: FocusErrorCode | None,
        status: grpc.StatusCode,
        operation: str,
        session_id: str,
        focus_kind: str = "",
        target_id: str = "",
    ) -> None:
        super().__init__(
            message,
            code=code,
            status=status,
            context={
                "operation": operation,
                "session_id": session_id,
                "focus_kind": focus_kind,
                "target_id": target_id,
            },
        )
        self.operation = operation
        self.session_id = session_id
        self.focus_kind = focus_kind
        self.target_id = target_id

    @property
    def is_already_member(self) -> bool:
        """True for FOCUS_ALREADY_MEMBER, which callers should treat as success."""
        return self.code is FocusErrorCode.FOCUS_ALREADY_MEMBER


@runtime_checkable
class FocusClient(Protocol):
    """Focus operations on a session, all served by the host."""

    async def join_focus(
        self, session_id: str, target: FocusKey, *, exist_ok: bool = False
    ) -> None:
        """Add a focus membership; the host picks streams and replay. Raises `FocusError`;
        with ``exist_ok=True`` an existing membership is not an error."""
        ...

    async def leave_focus(self, session_id: str, target: FocusKey) -> None:
        """Remove a membership (idempotent); clears the presenting focus if it was this."""
        ...

    async def present_focus(self, session_id: str, target: FocusKey) -> None:
        """Point the session's presenting focus at `target`, which must be a membership."""
        ...

    async def query_stream_history(self, request: QueryStreamHistoryRequest) -> list[Event]:
        """Read-only tail of a stream, oldest first."""
        ...


@runtime_checkable
class FocusClientAware(Protocol):
    """Implement on your plugin to receive a `FocusClient` during Init (before `init`)."""

    def set_focus_client(self, client: FocusClient) -> None: ...


def _to_millis(moment: datetime | None) -> int:
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, int(moment.timestamp() * 1000))


class HostFocusClient:
    """`FocusClient` backed by the host's PluginHostService over the broker."""

    def __init__(self, channel: HostChannel) -> None:
        self._channel = channel

    async def join_focus(
        self, session_id: str, target: FocusKey, *, exist_ok: bool = False
    ) -> None:
        try:
            await self._focus_call("JoinFocus", "join focus", session_id, target)
        except FocusError as err:
            if not (exist_ok and err.is_already_member):
                raise

    async def leave_focus(self, session_id: str, target: FocusKey) -> None:
        await self._focus_call("LeaveFocus", "leave focus", session_id, target)

    async def present_focus(self, session_id: str, target: FocusKey) -> None:
        await self._focus_call("PresentFocus", "present focus", session_id, target)

    async def query_stream_history(self, request: QueryStreamHistoryRequest) -> list[Event]:
        message = plugin_pb2.PluginHostServiceQueryStreamHistoryRequest(
            stream=request.stream,
            count=min(max(request.count, 0), _MAX_HISTORY_COUNT),
            not_before_ms=_to_millis(request.not_before),
        )
        stub = await self._channel.stub()
        try:
            response = await stub.QueryStreamHistory(
                message, timeout=self._channel.timeout, metadata=self._channel.actor_metadata()
            )
        except RpcError as err:
            code, _ = split_status_code(err.details() or "")
            raise HostCallError(
                f"query stream history {request.stream!r}: {err.details()}",
                code=code,
                status=err.code(),
                context={"stream": request.stream},
            ) from None
        return [event_from_proto(event) for event in response.events]

    async def _focus_call(
        self, method: str, operation: str, session_id: str, target: FocusKey
    ) -> None:
        request_type = {
            "JoinFocus": plugin_pb2.PluginHostServiceJoinFocusRequest,
            "LeaveFocus": plugin_pb2.PluginHostServiceLeaveFocusRequest,
            "PresentFocus": plugin_pb2.PluginHostServicePresentFocusRequest,
        }[method]
        request = request_type(
            session_id=session_id,
            target=plugin_pb2.FocusKey(
                kind=focus_kind_to_proto(target.kind), target_id=target.target_id
            ),
        )
        stub = await self._channel.stub()
        try:
            await getattr(stub, method)(
                request, timeout=self._channel.timeout, metadata=self._channel.actor_metadata()
            )
        except RpcError as err:
            details = err.details() or ""
            raise FocusError(
                f"{operation}: {details}",
                code=focus_error_code(err.code(), details),
                status=err.code(),
                operation=operation,
                session_id=session_id,
                focus_kind=str(target.kind),
                target_id=target.target_id,
            ) from None
