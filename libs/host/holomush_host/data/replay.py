"""How a stream that joins a session is replayed (reference §4.14 replay modes)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from holomush_host.data.event_types import BoundedTail, FromCursor, LiveOnly, StreamStart

__all__ = ["ReplayMode", "StreamReplay"]


class ReplayMode(enum.Enum):
    FROM_CURSOR = 0
    """Replay after the session's stored cursor for the stream (from the start if none)."""
    BOUNDED_TAIL = 1
    """Replay the newest ``tail_count`` events (none older than ``not_before``)."""
    LIVE_ONLY = 2
    """No replay; the cursor moves to the stream's newest event."""


@dataclass(frozen=True, slots=True)
class StreamReplay:
    mode: ReplayMode = ReplayMode.FROM_CURSOR
    tail_count: int = 0
    not_before: datetime | None = None

    def start(self, stored_cursor: str | None) -> StreamStart:
        """Where a live subscription starts this stream, given the session's stored cursor."""
        if self.mode is ReplayMode.BOUNDED_TAIL:
            return BoundedTail(self.tail_count, self.not_before)
        if self.mode is ReplayMode.LIVE_ONLY:
            return LiveOnly()
        return FromCursor(stored_cursor)
