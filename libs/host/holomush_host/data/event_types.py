"""Value types of the event store: stored events, drafts to append, where a replay starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from holomush_sdk.actor import Actor
from holomush_sdk.events import ActorKind

__all__ = [
    "ALL_STREAMS",
    "Actor",
    "ActorKind",
    "BoundedTail",
    "EventDraft",
    "FromCursor",
    "LiveOnly",
    "StoredEvent",
    "StreamStart",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ALL_STREAMS = "*"
"""Subscribe to this pseudo-stream to receive every event (plugin event delivery)."""


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event to append; the store adds the id and the time."""

    stream: str
    type: str
    actor: Actor
    payload: str | bytes = "{}"
    """JSON text (bytes are read as UTF-8), at most 64 KiB."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: str
    """ULID; ids increase in commit order."""
    stream: str
    type: str
    actor: Actor
    payload: str
    """JSON text, exactly as appended."""
    created_at: datetime

    @property
    def timestamp_ms(self) -> int:
        """Unix milliseconds, the unit of ``holomush.plugin.v1.Event.timestamp``."""
        return (self.created_at - _EPOCH) // timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class FromCursor:
    """Replay the events after ``after_id`` (all of them when None), then go live."""

    after_id: str | None = None


@dataclass(frozen=True, slots=True)
class BoundedTail:
    """Replay the newest ``count`` events (none older than ``not_before``), then go live."""

    count: int
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class LiveOnly:
    """No replay: only events committed after the stream was added."""


StreamStart = FromCursor | BoundedTail | LiveOnly
