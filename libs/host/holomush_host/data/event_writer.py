"""Group commit for appends: one writer task turns every waiting append into one transaction.

Appends are the hot path of event delivery. Concurrent callers queue their events; the
writer takes everything waiting (up to ``max_batch`` events), gives them ids, and makes
one call of the ``append_events`` database function: one round trip, one transaction,
which takes the cross-process append lock, checks the ids sort above every stored id,
inserts all rows and sends one NOTIFY. A caller's events are never split across
transactions, so `EventStore.append_many` is atomic.

If the database refuses a batch for a data reason, each caller's events are retried on
their own, so one bad request cannot fail the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from holomush_host.data.connection import HostPool
from holomush_host.data.errors import InvalidInputError, StoreUnavailableError
from holomush_host.data.event_feed import EventFeed
from holomush_host.data.event_notifications import format_notification
from holomush_host.data.event_types import Actor, ActorKind, StoredEvent
from holomush_host.data.ids import UlidFactory

__all__ = ["BatchWriter", "OnCommitted", "PreparedEvent"]

_LOG = logging.getLogger(__name__)

# One round trip per batch; see migrations/000001_events.up.sql.
_APPEND = (
    "SELECT accepted, previous FROM append_events("
    "%s, %s::text[], %s::text[], %s::text[], %s::int2[], %s::text[], %s::text[],"
    " %s, %s, %s, %s)"
)
_MAX_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """A validated event waiting for its id and time."""

    stream: str
    type: str
    actor_kind: ActorKind
    actor_id: str
    payload: str


OnCommitted = Callable[[Sequence[StoredEvent]], None]
"""Told a request's events once committed, before any subscriber can see them."""


@dataclass(eq=False, slots=True)
class _Request:
    events: Sequence[PreparedEvent]
    future: asyncio.Future[list[StoredEvent]]
    on_committed: OnCommitted | None = None


class BatchWriter:
    def __init__(
        self,
        pool: HostPool,
        feed: EventFeed,
        *,
        channel: str,
        instance: str,
        lock_key: int,
        max_batch: int = 1000,
        synchronous_commit: bool = True,
    ) -> None:
        self._pool = pool
        self._feed = feed
        self._channel = channel
        self._instance = instance
        self._lock_key = lock_key
        self._max_batch = max_batch
        self._synchronous_commit = synchronous_commit
        self._ids = UlidFactory()
        self._waiting: deque[_Request] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="holomush-event-writer")

    async def close(self) -> None:
        """Write what is already waiting, then stop; later submissions are refused."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def submit(
        self, events: Sequence[PreparedEvent], on_committed: OnCommitted | None = None
    ) -> list[StoredEvent]:
        if self._closing or self._task is None:
            raise StoreUnavailableError("the event store is closed")
        future: asyncio.Future[list[StoredEvent]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Request(events, future, on_committed))
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        while True:
            if not self._waiting:
                if self._closing:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            batch = self._take_batch()
            try:
                await self._write_batch(batch)
            except Exception as exc:  # a bug must not kill the writer; its callers hear of it
                _LOG.exception("event writer failed")
                _fail(batch, exc)

    def _take_batch(self) -> list[_Request]:
        batch = [self._waiting.popleft()]
        size = len(batch[0].events)
        while self._waiting and size + len(self._waiting[0].events) <= self._max_batch:
            request = self._waiting.popleft()
            batch.append(request)
            size += len(request.events)
        return batch

    async def _write_batch(self, batch: list[_Request]) -> None:
        try:
            await self._commit(batch)
        except (psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError) as exc:
            if len(batch) == 1:
                _fail(batch, _refused(exc))
                return
            for request in batch:  # find the request the database refused
                try:
                    await self._commit([request])
                except (psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError) as one:
                    _fail([request], _refused(one))
                except psycopg.Error as one:
                    _fail([request], _unavailable(one))
        except psycopg.Error as exc:
            _fail(batch, _unavailable(exc))

    async def _commit(self, batch: list[_Request]) -> None:
        events = [event for request in batch for event in request.events]
        columns = (
            [event.stream for event in events],
            [event.type for event in events],
            [int(event.actor_kind) for event in events],
            [event.actor_id for event in events],
            [event.payload for event in events],
        )
        floor: str | None = None
        async with self._pool.connection() as conn:
            for _ in range(_MAX_ATTEMPTS):
                ids = self._ids.many(len(events), floor)
                now = datetime.now(UTC)
                cursor = await conn.execute(
                    _APPEND,
                    (
                        self._lock_key,
                        ids,
                        *columns,
                        now,
                        self._channel,
                        format_notification(self._instance, ids[-1]),
                        self._synchronous_commit,
                    ),
                )
                row = await cursor.fetchone()
                assert row is not None
                accepted, previous = row
                if accepted:
                    break
                floor = previous  # another process wrote newer ids: go above them
            else:
                raise psycopg.OperationalError("other writers kept getting ahead; gave up")
        stored = [
            StoredEvent(
                id=event_id,
                stream=event.stream,
                type=event.type,
                actor=Actor(event.actor_kind, event.actor_id),
                payload=event.payload,
                created_at=now,
            )
            for event_id, event in zip(ids, events, strict=True)
        ]
        shares: list[list[StoredEvent]] = []
        offset = 0
        for request in batch:
            shares.append(stored[offset : offset + len(request.events)])
            offset += len(request.events)
            if request.on_committed is not None:
                try:
                    request.on_committed(shares[-1])
                except Exception:  # the caller's hook must not undo the commit either
                    _LOG.exception("an on_committed hook failed")
        try:
            await self._feed.local_commit(previous, stored)
        except Exception:  # the events are committed; a feed problem must not undo that
            _LOG.exception("event feed failed to take a committed batch")
        for request, share in zip(batch, shares, strict=True):
            if not request.future.done():
                request.future.set_result(share)


def _fail(batch: list[_Request], exc: BaseException) -> None:
    for request in batch:
        if not request.future.done():
            request.future.set_exception(exc)


def _refused(exc: psycopg.Error) -> InvalidInputError:
    detail = exc.diag.message_primary or type(exc).__name__
    return InvalidInputError(f"the database refused the event: {detail}")


def _unavailable(exc: psycopg.Error) -> StoreUnavailableError:
    return StoreUnavailableError(f"could not write events: {exc}")
