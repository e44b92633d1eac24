"""Which plugin appended an event, and how deep in a reaction chain it is.

The event store records the actor of an event, not who appended it: an event a plugin
emits while handling a player's command carries the player as actor. Event delivery needs
the origin anyway (a plugin never receives what it emitted itself; reaction chains are
bounded), so the host remembers it here, in memory, for the most recent appends.

The delivery loop may see an event before the append that wrote it has returned its id.
`EventOrigins.lookup` closes that gap: the event is committed, so if a plugin appended it,
that append is among the ones still pending at the moment of the lookup, and the lookup
waits for exactly those (never for appends that start later).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["DEFAULT_CAPACITY", "EventOrigin", "EventOrigins"]

DEFAULT_CAPACITY: Final = 10_000
_LOOKUP_TIMEOUT: Final = 5.0


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
        self._pending: set[asyncio.Future[None]] = set()

    @contextlib.asynccontextmanager
    async def appending(
        self, origin: EventOrigin
    ) -> AsyncIterator[Callable[[Iterable[str]], None]]:
        """Bracket an append; call the yielded function with the new ids once known."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.add(done)

        def record(event_ids: Iterable[str]) -> None:
            for event_id in event_ids:
                self._remember(event_id, origin)

        try:
            yield record
        finally:
            self._pending.discard(done)
            done.set_result(None)

    async def lookup(
        self, event_id: str, *, wait_limit: float = _LOOKUP_TIMEOUT
    ) -> EventOrigin | None:
        """The origin of a committed event, or None if no plugin appended it."""
        origin = self._origins.get(event_id)
        if origin is not None or not self._pending:
            return origin
        await asyncio.wait(set(self._pending), timeout=wait_limit)
        return self._origins.get(event_id)

    def _remember(self, event_id: str, origin: EventOrigin) -> None:
        self._origins[event_id] = origin
        self._origins.move_to_end(event_id)
        while len(self._origins) > self._capacity:
            self._origins.popitem(last=False)
