"""The live side of the event store: hands committed events to in-process subscribers.

Appends hold a global advisory lock until they commit, and ids are assigned under it, so
the order of ids is the order of commits, across every host process. The feed keeps a
single *position*, the newest id it has handed out, and hands out events strictly in id
order. Its two inputs:

* a local commit (from this process's writer), with the newest id that existed before
  that batch: if the feed is already there, the batch is handed out straight from memory;
  otherwise events committed elsewhere are missing, and it reads the whole gap;
* a notification (LISTEN/NOTIFY) that another process committed up to some id: everything
  up to it has committed, so it reads the gap from the database.

Because the feed never skips an id, a subscriber that starts "live" at the feed's position
misses nothing and sees nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

import psycopg

from holomush_host.data.connection import HostPool
from holomush_host.data.event_queries import fetch_global_range, last_event_id
from holomush_host.data.event_types import ALL_STREAMS, StoredEvent

__all__ = ["EventFeed", "FeedSubscriber"]

_LOG = logging.getLogger(__name__)


class FeedSubscriber(Protocol):
    def receive(self, event: StoredEvent) -> None:
        """Take one committed event. Called on the event loop; must not block or raise."""


class EventFeed:
    def __init__(self, pool: HostPool, *, page_size: int = 1000) -> None:
        self._pool = pool
        self._page_size = page_size
        self._position = ""
        self._lock = asyncio.Lock()
        self._by_stream: dict[str, set[FeedSubscriber]] = {}

    @property
    def position(self) -> str:
        """The newest id handed out ('' before any); every older event has been handed out."""
        return self._position

    async def prime(self) -> None:
        """Start at the newest committed event (call after LISTEN is in place)."""
        async with self._lock, self._pool.connection() as conn:
            self._position = max(self._position, await last_event_id(conn) or "")

    def attach(self, subscriber: FeedSubscriber, stream: str) -> None:
        self._by_stream.setdefault(stream, set()).add(subscriber)

    def detach(self, subscriber: FeedSubscriber, stream: str) -> None:
        subscribers = self._by_stream.get(stream)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._by_stream[stream]

    async def local_commit(self, previous_id: str, events: Sequence[StoredEvent]) -> None:
        """This process committed ``events``; ``previous_id`` was the newest id before them."""
        if not events:
            return
        async with self._lock:
            newest = events[-1].id
            if newest <= self._position:
                return
            if previous_id <= self._position:
                self._dispatch(events)
                self._position = newest
            else:
                await self._read_through_or_defer(newest)

    async def remote_commit(self, newest: str) -> None:
        """Some process committed events up to and including ``newest``."""
        async with self._lock:
            if newest > self._position:
                await self._read_through_or_defer(newest)

    async def catch_up(self) -> None:
        """Hand out whatever committed since the position (after a lost notification link).

        Raises `psycopg.Error` when the database cannot be read; the position then stays
        where it was, so calling this again later hands out the same events, once.
        """
        async with self._lock:
            async with self._pool.connection() as conn:
                newest = await last_event_id(conn) or ""
            if newest > self._position:
                await self._read_through(newest)

    async def _read_through_or_defer(self, newest: str) -> None:
        try:
            await self._read_through(newest)
        except psycopg.Error as exc:
            # Committed events are not lost: the next commit, notification or catch-up
            # reads them from the position on.
            _LOG.warning("event feed could not read events after %s: %s", self._position, exc)

    async def _read_through(self, newest: str) -> None:
        while True:
            async with self._pool.connection() as conn:
                page = await fetch_global_range(conn, self._position, newest, self._page_size)
            if page:
                self._dispatch(page)
                self._position = page[-1].id
            if len(page) < self._page_size:
                break
        self._position = max(self._position, newest)

    def _dispatch(self, events: Sequence[StoredEvent]) -> None:
        everyone = self._by_stream.get(ALL_STREAMS, ())
        for event in events:
            for subscriber in tuple(self._by_stream.get(event.stream, ())):
                subscriber.receive(event)
            for subscriber in tuple(everyone):
                subscriber.receive(event)
