"""Which plugin appended an event, and how deep in a reaction chain it is.

The event store records the actor of an event, not who appended it: an event a plugin
emits while handling a player's command carries the player as actor. Event delivery needs
the origin anyway (a plugin never receives what it emitted itself; reaction chains are
bounded), so the host remembers it here, in memory, for the most recent appends.

The emitter records an append's origin from the event store's ``on_committed`` hook, which
runs after the commit and before any subscriber (event delivery included) sees the events:
so by the time delivery looks an event up, its origin is known, and no lookup ever waits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from holomush_host.data.event_types import StoredEvent

__all__ = ["DEFAULT_CAPACITY", "EventOrigin", "EventOrigins"]

DEFAULT_CAPACITY: Final = 10_000


@dataclass(frozen=True, slots=True)
class EventOrigin:
    plugin: str
    depth: int
    """0 for events not caused by a delivered event; n + 1 for reactions to depth n."""


class EventOrigins:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._origins: OrderedDict[str, EventOrigin] = OrderedDict()

    def record(self, events: Iterable[StoredEvent], origin: EventOrigin) -> None:
        """Remember that `origin` appended `events` (the oldest are forgotten past capacity)."""
        for event in events:
            self._origins[event.id] = origin
            self._origins.move_to_end(event.id)
        while len(self._origins) > self._capacity:
            self._origins.popitem(last=False)

    def lookup(self, event_id: str) -> EventOrigin | None:
        """The origin of a committed event, or None if no plugin appended it (or it is one of
        the forgotten oldest)."""
        return self._origins.get(event_id)
