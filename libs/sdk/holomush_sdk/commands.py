"""Commands: the invocation context a plugin receives and the response it returns."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from holomush.plugin.v1 import plugin_pb2
from holomush_sdk.auditing import AuditHint, audit_hint_from_proto, audit_hint_to_proto
from holomush_sdk.events import EmitEvent, emit_event_from_proto, emit_event_to_proto

__all__ = [
    "CommandRequest",
    "CommandResponse",
    "CommandStatus",
    "command_request_from_proto",
    "command_request_to_proto",
    "command_response_from_proto",
    "command_response_to_proto",
    "command_status_from_proto",
    "command_status_to_proto",
    "errorf",
    "failuref",
    "fatalf",
    "ok",
]


class CommandStatus(enum.IntEnum):
    """Outcome category of a command. What the host does with each:

    - OK: output shown as a normal response, events emitted.
    - ERROR: a user error (bad input, not found, no permission); output shown as an error.
    - FAILURE: a service failure; output shown as an error, counted as a failure.
    - FATAL: nothing is shown or emitted; the host reports a generic failure.

    The values are the SDK's (0..3); the proto enum is one higher (see
    `command_status_to_proto`).
    """

    OK = 0
    ERROR = 1
    FAILURE = 2
    FATAL = 3


_TO_PROTO = {
    CommandStatus.OK: plugin_pb2.COMMAND_STATUS_OK,
    CommandStatus.ERROR: plugin_pb2.COMMAND_STATUS_ERROR,
    CommandStatus.FAILURE: plugin_pb2.COMMAND_STATUS_FAILURE,
    CommandStatus.FATAL: plugin_pb2.COMMAND_STATUS_FATAL,
}
_FROM_PROTO: dict[int, CommandStatus] = {value: status for status, value in _TO_PROTO.items()}


def command_status_to_proto(status: int) -> plugin_pb2.CommandStatus.ValueType:
    """SDK status to proto enum value; an unknown value becomes COMMAND_STATUS_OK."""
    try:
        return _TO_PROTO[CommandStatus(status)]
    except ValueError:
        return plugin_pb2.COMMAND_STATUS_OK


def command_status_from_proto(value: int) -> CommandStatus:
    """Proto enum value to SDK status; UNSPECIFIED and unknown values become OK."""
    return _FROM_PROTO.get(value, CommandStatus.OK)


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """One command invocation, with full context about the invoking player."""

    command: str
    """Parsed (canonical) command name."""
    args: str = ""
    """Everything after the command name."""
    character_id: str = ""
    """Invoking character ULID."""
    character_name: str = ""
    """Character display name."""
    location_id: str = ""
    """Character's current location ULID."""
    session_id: str = ""
    """Active session ULID."""
    player_id: str = ""
    """Player account ULID."""
    invoked_as: str = ""
    """What the player actually typed as the command word (the alias, if one was used)."""


@dataclass(slots=True)
class CommandResponse:
    """The result of a command: a status, text for the invoker, events and audit hints."""

    status: CommandStatus = CommandStatus.OK
    output: str = ""
    events: list[EmitEvent] = field(default_factory=list)
    audit_hints: list[AuditHint] = field(default_factory=list)


def _format(fmt: str, args: Sequence[Any]) -> str:
    # printf-style like the Go helpers; without args the text is used as is, so a literal
    # "%" in a plain message needs no escaping.
    return fmt % tuple(args) if args else fmt


def ok(output: str = "") -> CommandResponse:
    """A successful response with `output` shown to the invoker."""
    return CommandResponse(status=CommandStatus.OK, output=output)


def errorf(fmt: str, *args: Any) -> CommandResponse:
    """A user-error response: ``errorf("unknown subcommand: %s", req.args)``."""
    return CommandResponse(status=CommandStatus.ERROR, output=_format(fmt, args))


def failuref(fmt: str, *args: Any) -> CommandResponse:
    """A service-failure response (e.g. the database is down)."""
    return CommandResponse(status=CommandStatus.FAILURE, output=_format(fmt, args))


def fatalf(fmt: str, *args: Any) -> CommandResponse:
    """A fatal response. The host shows the player only a generic failure, never `output`."""
    return CommandResponse(status=CommandStatus.FATAL, output=_format(fmt, args))


def command_request_from_proto(message: plugin_pb2.CommandRequest) -> CommandRequest:
    return CommandRequest(
        command=message.command,
        args=message.args,
        character_id=message.character_id,
        character_name=message.character_name,
        location_id=message.location_id,
        session_id=message.session_id,
        player_id=message.player_id,
        invoked_as=message.raw_input,
    )


def command_request_to_proto(request: CommandRequest) -> plugin_pb2.CommandRequest:
    return plugin_pb2.CommandRequest(
        command=request.command,
        args=request.args,
        raw_input=request.invoked_as,
        character_id=request.character_id,
        character_name=request.character_name,
        location_id=request.location_id,
        session_id=request.session_id,
        player_id=request.player_id,
    )


def command_response_to_proto(
    response: CommandResponse, extra_hints: Sequence[AuditHint] = ()
) -> plugin_pb2.CommandResponse:
    """Serialise `response`; `extra_hints` (recorded with `audit()`) come first."""
    return plugin_pb2.CommandResponse(
        status=command_status_to_proto(response.status),
        output=response.output,
        events=[emit_event_to_proto(event) for event in response.events],
        audit_hints=[audit_hint_to_proto(hint) for hint in (*extra_hints, *response.audit_hints)],
    )


def command_response_from_proto(message: plugin_pb2.CommandResponse) -> CommandResponse:
    """Host-side view of a plugin's response (used by hosts and tests)."""
    return CommandResponse(
        status=command_status_from_proto(message.status),
        output=message.output,
        events=[emit_event_from_proto(event) for event in message.events],
        audit_hints=[audit_hint_from_proto(hint) for hint in message.audit_hints],
    )
