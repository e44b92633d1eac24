"""A live view of some streams: replay first, then live events, none lost, none twice.

The rule that makes this safe is *subscribe first, then read, then de-duplicate*:

1. `Subscription.add_stream` attaches the stream to the feed at once, so from then on
   every committed event of the stream reaches this object;
2. the replay (a database read) happens when the consumer next iterates; while it runs,
   live events of that stream are buffered;
3. the replayed page, then the buffered events, are queued, skipping any id at or below
   the newest id already queued for that stream (each stream's ids only grow).

Events committed before the read are in its result; events committed after it were
buffered, because the stream was attached before the read began. Stream by stream,
events come out in id order (= commit order); across streams the order is by id within
each batch, which is what the reference's replay merge gives.

Memory is bounded: when more than ``max_pending`` events wait, live events stop being
queued and the lagging streams go back to reading from the database, page by page, from
the last event queued. Nothing is dropped, since every event is in the database.
"""

from __future__ import annotations

import asyncio
import enum
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType

from holomush_host.data.connection import HostPool, pooled
from holomush_host.data.errors import InvalidInputError, StoreUnavailableError
from holomush_host.data.event_feed import EventFeed
from holomush_host.data.event_queries import fetch_streams_after, fetch_tail
from holomush_host.data.event_types import (
    ALL_STREAMS,
    BoundedTail,
    FromCursor,
    LiveOnly,
    StoredEvent,
    StreamStart,
)
from holomush_host.data.validation import check_stream, check_ulid

__all__ = ["MAX_TAIL_COUNT", "Subscription", "check_tail"]

MAX_TAIL_COUNT = 500


class _Mode(enum.Enum):
    PENDING = "pending"  # must read from the database before going live
    FETCHING = "fetching"  # a read is in flight; live events are buffered
    LIVE = "live"  # live events are queued directly


@dataclass(eq=False)
class _StreamState:
    mode: _Mode
    last_id: str  # newest id queued or delivered ('' = none)
    start: BoundedTail | None = None  # a tail (up to last_id) still to read
    delivered: str | None = None
    buffer: list[StoredEvent] = field(default_factory=list)


class Subscription:
    """Async iterator of `StoredEvent` for a changing set of streams (one consumer)."""

    def __init__(
        self,
        pool: HostPool,
        feed: EventFeed,
        *,
        event_types: Iterable[str] | None = None,
        max_pending: int = 1000,
        page_size: int = 500,
    ) -> None:
        if max_pending < 1 or page_size < 1:
            raise ValueError("max_pending and page_size must be positive")
        self._pool = pool
        self._feed = feed
        self._types = frozenset(event_types) if event_types is not None else None
        self._max_pending = max_pending
        self._page_size = page_size
        self._streams: dict[str, _StreamState] = {}
        self._queue: deque[StoredEvent] = deque()
        self._queued: Counter[str] = Counter()
        self._wakeup = asyncio.Event()
        self._closed = False
        self._reading = False

    # -- the set of streams -------------------------------------------------------------

    def add_stream(self, stream: str, start: StreamStart | None = None) -> bool:
        """Start receiving ``stream`` (ALL_STREAMS: every stream); False if already present.

        ``start`` (default `LiveOnly`) says what to replay first. Raises `InvalidInputError`
        for a bad stream name, cursor or tail.
        """
        if self._closed:
            raise RuntimeError("the subscription is closed")
        start = LiveOnly() if start is None else start
        if stream != ALL_STREAMS:
            check_stream(stream)
        if stream in self._streams:
            return False
        if self._streams and (stream == ALL_STREAMS or ALL_STREAMS in self._streams):
            raise ValueError("a subscription to ALL_STREAMS cannot also name single streams")
        self._streams[stream] = _initial_state(start, self._feed.position)
        self._feed.attach(self, stream)
        self._wakeup.set()
        return True

    def remove_stream(self, stream: str) -> bool:
        """Stop receiving ``stream`` and drop its queued events; False if it was not present."""
        state = self._streams.pop(stream, None)
        if state is None:
            return False
        self._feed.detach(self, stream)
        if self._queued.pop(stream, 0):
            if stream == ALL_STREAMS:
                self._queue.clear()
            else:
                self._queue = deque(event for event in self._queue if event.stream != stream)
        return True

    @property
    def streams(self) -> tuple[str, ...]:
        return tuple(self._streams)

    @property
    def is_live(self) -> bool:
        """True once every stream has finished its replay (nothing left to read)."""
        return all(state.mode is _Mode.LIVE for state in self._streams.values())

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        """Events queued and not yet taken."""
        return len(self._queue)

    def cursors(self) -> dict[str, str]:
        """Per stream, the id of the newest event taken by the consumer (persist these)."""
        return {
            stream: state.delivered
            for stream, state in self._streams.items()
            if state.delivered is not None
        }

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for stream in self._streams:
            self._feed.detach(self, stream)
        self._streams.clear()
        self._queue.clear()
        self._queued.clear()
        self._wakeup.set()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- consuming --------------------------------------------------------------------------

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> StoredEvent:
        if self._reading:
            raise RuntimeError("a Subscription has one consumer; it is already being read")
        self._reading = True
        try:
            while not self._closed:
                due = [
                    stream
                    for stream, state in self._streams.items()
                    if state.mode is _Mode.PENDING and not self._queued[stream]
                ]
                if due:
                    await self._read(due)
                    continue
                if self._queue:
                    event = self._queue.popleft()
                    key = self._key(event)
                    self._queued[key] -= 1
                    self._streams[key].delivered = event.id
                    return event
                self._wakeup.clear()
                await self._wakeup.wait()
            raise StopAsyncIteration
        finally:
            self._reading = False

    # -- the feed's side ------------------------------------------------------------------

    def receive(self, event: StoredEvent) -> None:
        if self._types is not None and event.type not in self._types:
            return
        key = self._key(event)
        state = self._streams.get(key)
        if state is None or state.mode is _Mode.PENDING:
            return
        if state.mode is _Mode.FETCHING:
            state.buffer.append(event)
            return
        if event.id <= state.last_id:
            return
        if len(self._queue) >= self._max_pending:
            self._fall_behind()
            return
        self._queue.append(event)
        self._queued[key] += 1
        state.last_id = event.id
        self._wakeup.set()

    # -- internals ----------------------------------------------------------------------------

    def _key(self, event: StoredEvent) -> str:
        return ALL_STREAMS if ALL_STREAMS in self._streams else event.stream

    def _fall_behind(self) -> None:
        # Too much waiting: stop queueing live events; each stream re-reads from the
        # database once its queued events are taken.
        for state in self._streams.values():
            if state.mode is _Mode.LIVE:
                state.mode = _Mode.PENDING

    async def _read(self, due: list[str]) -> None:
        states = {stream: self._streams[stream] for stream in due}
        for state in states.values():
            state.mode = _Mode.FETCHING
            state.buffer = []
        try:
            tails, pages = await self._fetch(states)
        except BaseException as exc:
            for stream, state in states.items():
                if self._streams.get(stream) is state:
                    state.mode = _Mode.PENDING  # read again on the next call
                    state.buffer = []
            if self._closed and isinstance(exc, StoreUnavailableError):
                raise StopAsyncIteration from None  # closed while reading: just the end
            raise
        batch: list[tuple[str, StoredEvent]] = []
        for stream, state in states.items():
            if self._streams.get(stream) is not state:
                continue  # removed while reading
            page = pages[stream]
            fresh = tails.get(stream, []) + [event for event in page if event.id > state.last_id]
            state.start = None
            if page:
                state.last_id = page[-1].id
            if len(page) < self._page_size:
                # The read saw everything committed before it; the buffer has the rest.
                for event in state.buffer:
                    if event.id > state.last_id:
                        fresh.append(event)
                        state.last_id = event.id
                state.mode = _Mode.LIVE
            else:
                state.mode = _Mode.PENDING  # more pages to read
            state.buffer = []
            batch.extend((stream, event) for event in fresh)
        batch.sort(key=lambda item: item[1].id)
        for stream, event in batch:
            self._queue.append(event)
            self._queued[stream] += 1

    async def _fetch(
        self, states: dict[str, _StreamState]
    ) -> tuple[dict[str, list[StoredEvent]], dict[str, list[StoredEvent]]]:
        """Per stream: the tail still owed (if any), and a page of events after last_id."""
        tails: dict[str, list[StoredEvent]] = {}
        async with pooled(self._pool) as conn:
            for stream, state in states.items():
                if state.start is not None:
                    # The newest events as of when the stream was added (last_id).
                    tails[stream] = await fetch_tail(
                        conn,
                        stream,
                        state.start.count,
                        state.start.not_before,
                        through_id=state.last_id,
                        types=self._types,
                    )
            after = {stream: state.last_id for stream, state in states.items()}
            pages = await fetch_streams_after(conn, after, self._page_size, self._types)
        return tails, pages


def _initial_state(start: StreamStart, position: str) -> _StreamState:
    if isinstance(start, LiveOnly):
        # The feed hands out events in id order, so "after its position" is "from now on".
        return _StreamState(_Mode.LIVE, last_id=position)
    if isinstance(start, FromCursor):
        after = check_ulid(start.after_id, "after_id") if start.after_id is not None else ""
        return _StreamState(_Mode.PENDING, last_id=after)
    if isinstance(start, BoundedTail):
        # The tail is counted back from the position at which the stream was added, and
        # everything after that position follows it, so nothing new is skipped.
        check_tail(start)
        return _StreamState(_Mode.PENDING, last_id=position, start=start)
    raise TypeError(f"unknown stream start {start!r}")


def check_tail(tail: BoundedTail) -> BoundedTail:
    """A tail of 0..500 events with an aware ``not_before`` (if any)."""
    if (
        isinstance(tail.count, bool)
        or not isinstance(tail.count, int)
        or not (0 <= tail.count <= MAX_TAIL_COUNT)
    ):
        raise InvalidInputError(f"tail count must be between 0 and {MAX_TAIL_COUNT}")
    if tail.not_before is not None and tail.not_before.tzinfo is None:
        raise InvalidInputError("not_before must be a timezone-aware datetime")
    return tail
