"""Events: what the host delivers to a plugin and what a plugin emits.

Field names and meanings follow the Go SDK (`Event`, `EmitEvent`, `EmitIntent`); the
conversion functions map them to and from the ``holomush.plugin.v1`` messages.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

from holomush.plugin.v1 import plugin_pb2

__all__ = [
    "ActorKind",
    "EmitEvent",
    "EmitIntent",
    "Event",
    "EventType",
    "emit_event_from_proto",
    "emit_event_to_proto",
    "event_from_proto",
    "event_to_proto",
]


class ActorKind(enum.IntEnum):
    """Who caused an event. The integer values are the wire values of the actor metadata."""

    CHARACTER = 0
    SYSTEM = 1
    PLUGIN = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> ActorKind:
        """Map the proto string form (``"character"``, ``"system"``, ``"plugin"``).

        Anything else, including the host's ``"unknown"``, maps to CHARACTER, as in the
        reference SDK.
        """
        try:
            return cls[text.upper()]
        except KeyError:
            return cls.CHARACTER


class EventType(enum.StrEnum):
    """Well-known event types. Any type registered with the host may be emitted as a str."""

    SAY = "say"
    POSE = "pose"
    EMIT = "emit"
    ARRIVE = "arrive"
    LEAVE = "leave"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Event:
    """An event delivered to `Handler.handle_event` (or read back with stream history)."""

    id: str
    stream: str
    type: str
    timestamp: int
    """Unix milliseconds."""
    actor_kind: ActorKind
    actor_id: str
    payload: str
    """JSON text."""

    @property
    def time(self) -> datetime:
        """`timestamp` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp / 1000, tz=UTC)


@dataclass(frozen=True, slots=True)
class EmitEvent:
    """An event to emit, returned from `handle_event` or put in `CommandResponse.events`."""

    stream: str
    type: str
    payload: str = "{}"
    """JSON text."""


@dataclass(frozen=True, slots=True)
class EmitIntent:
    """An event to publish through `EventSink.emit`.

    The host checks that the plugin may emit to the stream's namespace and stamps the
    actor, ID and timestamp.
    """

    stream: str
    type: str
    payload: str = "{}"
    """JSON text."""


def event_from_proto(message: plugin_pb2.Event) -> Event:
    return Event(
        id=message.id,
        stream=message.stream,
        type=message.type,
        timestamp=message.timestamp,
        actor_kind=ActorKind.parse(message.actor_kind),
        actor_id=message.actor_id,
        payload=message.payload,
    )


def event_to_proto(event: Event) -> plugin_pb2.Event:
    return plugin_pb2.Event(
        id=event.id,
        stream=event.stream,
        type=str(event.type),
        timestamp=event.timestamp,
        actor_kind=str(event.actor_kind),
        actor_id=event.actor_id,
        payload=event.payload,
    )


def emit_event_to_proto(event: EmitEvent) -> plugin_pb2.EmitEvent:
    return plugin_pb2.EmitEvent(stream=event.stream, type=str(event.type), payload=event.payload)


def emit_event_from_proto(message: plugin_pb2.EmitEvent) -> EmitEvent:
    return EmitEvent(stream=message.stream, type=message.type, payload=message.payload)
