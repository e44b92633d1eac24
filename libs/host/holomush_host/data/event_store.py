"""The event store (reference §4.8): append, replay, tail, and live subscriptions.

Start it once per process (`EventStore.start`) and close it at shutdown. Appends go
through a group-commit writer; subscriptions are fed by the process's `EventFeed`, which
LISTEN/NOTIFY keeps in step with other host processes on the same database.
"""

from __future__ import annotations

import secrets
import weakref
import zlib
from collections.abc import Iterable, Mapping
from datetime import datetime

from holomush_host.data.connection import HostPool, check_schema_name, pooled
from holomush_host.data.errors import InvalidInputError
from holomush_host.data.event_feed import EventFeed
from holomush_host.data.event_notifications import NotificationListener
from holomush_host.data.event_queries import fetch_after, fetch_tail, last_event_id
from holomush_host.data.event_types import (
    ALL_STREAMS,
    Actor,
    ActorKind,
    EventDraft,
    StoredEvent,
    StreamStart,
)
from holomush_host.data.event_writer import BatchWriter, OnCommitted, PreparedEvent
from holomush_host.data.subscription import MAX_TAIL_COUNT, Subscription
from holomush_host.data.validation import check_payload, check_stream, check_text, check_ulid

__all__ = ["MAX_APPEND_BATCH", "MAX_REPLAY_LIMIT", "EventStore"]

MAX_REPLAY_LIMIT = 1000
MAX_APPEND_BATCH = 1000
MAX_EVENT_TYPE_LENGTH = 128
MAX_ACTOR_ID_LENGTH = 256


class EventStore:
    def __init__(
        self, pool: HostPool, conninfo: str, *, schema: str, synchronous_commit: bool = True
    ) -> None:
        """``synchronous_commit=False`` lets an append return before its commit reaches the
        disk: many times faster for one-at-a-time appends, at the price of losing the last
        fraction of a second of events if the database server (not the host) crashes."""
        check_schema_name(schema)
        self._pool = pool
        self._feed = EventFeed(pool)
        instance = secrets.token_hex(8)
        channel = f"{schema}_events"[:63]
        self._listener = NotificationListener(conninfo, channel, instance, self._feed)
        self._writer = BatchWriter(
            pool,
            self._feed,
            channel=channel,
            instance=instance,
            lock_key=zlib.crc32(f"holomush-events:{schema}".encode()),
            max_batch=MAX_APPEND_BATCH,
            synchronous_commit=synchronous_commit,
        )
        self._subscriptions: weakref.WeakSet[Subscription] = weakref.WeakSet()

    async def start(self) -> None:
        await self._listener.start()
        self._writer.start()

    async def close(self) -> None:
        """Finish waiting appends, end every subscription, stop listening."""
        await self._writer.close()
        for subscription in tuple(self._subscriptions):
            subscription.close()
        self._subscriptions.clear()
        await self._listener.close()

    # -- writing ------------------------------------------------------------------------------

    async def append(
        self, stream: str, event_type: str, actor: Actor, payload: str | bytes = "{}"
    ) -> StoredEvent:
        """Persist one event and hand it to subscribers; returns it with its id and time.

        Raises `InvalidInputError` (nothing written) for a bad stream, type, actor or
        payload (``EVENT_PAYLOAD_TOO_LARGE`` over 64 KiB, ``EVENT_PAYLOAD_INVALID_JSON``).
        """
        prepared = _prepare(EventDraft(stream, event_type, actor, payload))
        return (await self._writer.submit([prepared]))[0]

    async def append_many(
        self, drafts: Iterable[EventDraft], *, on_committed: OnCommitted | None = None
    ) -> list[StoredEvent]:
        """Persist several events in one transaction: all of them, or (on any error) none.

        ``on_committed`` is called with the stored events after the commit and before any
        subscriber sees them (it must not block)."""
        prepared = []
        for index, draft in enumerate(drafts):
            if index >= MAX_APPEND_BATCH:
                raise InvalidInputError(f"at most {MAX_APPEND_BATCH} events per append_many")
            try:
                prepared.append(_prepare(draft))
            except InvalidInputError as exc:
                raise InvalidInputError(f"event {index}: {exc.message}", exc.code) from None
        if not prepared:
            return []
        return await self._writer.submit(prepared, on_committed)

    # -- reading ------------------------------------------------------------------------------

    async def replay(
        self, stream: str, after_id: str | None = None, limit: int = 100
    ) -> list[StoredEvent]:
        """Events of ``stream`` with id > ``after_id`` (all when None), oldest first."""
        check_stream(stream)
        return await self._replay(stream, after_id, limit)

    async def replay_all(self, after_id: str | None = None, limit: int = 100) -> list[StoredEvent]:
        """Like `replay`, over every stream (plugin event delivery catching up)."""
        return await self._replay(ALL_STREAMS, after_id, limit)

    async def tail(
        self,
        stream: str,
        count: int,
        not_before: datetime | None = None,
        before_id: str | None = None,
    ) -> list[StoredEvent]:
        """The newest ``count`` events of ``stream``, oldest first (QueryStreamHistory).

        ``count`` above 500 is clamped to 500, 0 returns nothing, a negative count is an
        `InvalidInputError`. ``not_before`` drops events created before it; ``before_id``
        keeps only older ids (paging backwards).
        """
        check_stream(stream)
        if isinstance(count, bool) or not isinstance(count, int):
            raise InvalidInputError("count must be an integer")
        if count < 0:
            raise InvalidInputError("count must be non-negative")
        if not_before is not None and not_before.tzinfo is None:
            raise InvalidInputError("not_before must be a timezone-aware datetime")
        if before_id is not None:
            check_ulid(before_id, "before_id")
        count = min(count, MAX_TAIL_COUNT)
        if count == 0:
            return []
        async with pooled(self._pool) as conn:
            return await fetch_tail(conn, stream, count, not_before, before_id)

    async def last_event_id(self, stream: str) -> str | None:
        """The id of the newest event of ``stream``, or None if it has none."""
        check_stream(stream)
        async with pooled(self._pool) as conn:
            return await last_event_id(conn, stream)

    # -- live ---------------------------------------------------------------------------------

    def subscribe(
        self,
        streams: Iterable[str] | Mapping[str, StreamStart] = (),
        *,
        start: StreamStart | None = None,
        event_types: Iterable[str] | None = None,
        max_pending: int = 1000,
    ) -> Subscription:
        """A subscription to ``streams``, attached before this returns (nothing is missed).

        A mapping gives each stream its own start; otherwise every stream uses ``start``
        (default `LiveOnly`). Streams can be added and removed later. Iterate it to get the
        replay, then live events; close it (or use ``async with``) when done.
        """
        subscription = self._new_subscription(event_types, max_pending)
        try:
            if isinstance(streams, Mapping):
                for stream, stream_start in streams.items():
                    subscription.add_stream(check_stream(stream), stream_start)
            else:
                for stream in streams:
                    subscription.add_stream(check_stream(stream), start)
        except BaseException:
            self._forget(subscription)
            raise
        return subscription

    def subscribe_all(
        self,
        *,
        start: StreamStart | None = None,
        event_types: Iterable[str] | None = None,
        max_pending: int = 1000,
    ) -> Subscription:
        """A subscription to every stream, optionally only some event types."""
        subscription = self._new_subscription(event_types, max_pending)
        try:
            subscription.add_stream(ALL_STREAMS, start)
        except BaseException:
            self._forget(subscription)
            raise
        return subscription

    def _new_subscription(
        self, event_types: Iterable[str] | None, max_pending: int
    ) -> Subscription:
        types = (
            None
            if event_types is None
            else [
                check_text(event_type, "event type", max_length=MAX_EVENT_TYPE_LENGTH)
                for event_type in event_types
            ]
        )
        subscription = Subscription(
            self._pool, self._feed, event_types=types, max_pending=max_pending
        )
        self._subscriptions.add(subscription)
        return subscription

    def _forget(self, subscription: Subscription) -> None:
        subscription.close()
        self._subscriptions.discard(subscription)

    async def _replay(self, stream: str, after_id: str | None, limit: int) -> list[StoredEvent]:
        if after_id is not None:
            check_ulid(after_id, "after_id")
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= MAX_REPLAY_LIMIT
        ):
            raise InvalidInputError(f"limit must be between 1 and {MAX_REPLAY_LIMIT}")
        async with pooled(self._pool) as conn:
            return await fetch_after(conn, stream, after_id, limit)


def _prepare(draft: EventDraft) -> PreparedEvent:
    stream = check_stream(draft.stream)
    event_type = check_text(draft.type, "event type", max_length=MAX_EVENT_TYPE_LENGTH)
    if " " in event_type:
        raise InvalidInputError("event type must not contain spaces")
    actor = draft.actor
    if not isinstance(actor, Actor) or not isinstance(actor.kind, ActorKind):
        raise InvalidInputError("actor must be an Actor with an ActorKind")
    actor_id = check_text(actor.id, "actor id", max_length=MAX_ACTOR_ID_LENGTH)
    return PreparedEvent(stream, event_type, actor.kind, actor_id, check_payload(draft.payload))
