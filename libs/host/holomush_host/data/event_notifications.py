"""LISTEN/NOTIFY between host processes: every committed batch announces its newest id.

Payload: ``"<writer instance> <newest id>"``. A process ignores its own announcements (its
writer already handed those events to the feed) and asks the feed to read up to the
announced id for everyone else's. After a lost connection it reconnects and catches up, so
a missed notification delays events but never drops them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging

import psycopg
from psycopg import sql

from holomush_host.data.connection import HostConnection, connect_host
from holomush_host.data.errors import StoreUnavailableError
from holomush_host.data.event_feed import EventFeed
from holomush_host.data.ids import is_ulid

__all__ = ["NotificationListener", "format_notification", "parse_notification"]

_LOG = logging.getLogger(__name__)
# Short: a restarted server is usually back within seconds, and every second the listener
# stays away is a second other host processes' events wait.
_RECONNECT_DELAYS = (0.1, 0.25, 0.5, 1.0, 2.0)


def format_notification(instance: str, newest_id: str) -> str:
    return f"{instance} {newest_id}"


def parse_notification(payload: str) -> tuple[str, str] | None:
    instance, _, newest_id = payload.partition(" ")
    return (instance, newest_id) if instance and is_ulid(newest_id) else None


class NotificationListener:
    """Holds one LISTEN connection for ``channel`` and feeds other processes' commits in."""

    def __init__(self, conninfo: str, channel: str, instance: str, feed: EventFeed) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._instance = instance
        self._feed = feed
        self._conn: HostConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """LISTEN, then move the feed to the newest event: nothing falls between the two."""
        self._conn = await self._listen()
        await self._feed.prime()
        self._task = asyncio.create_task(self._run(), name=f"holomush-listen-{self._channel}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _listen(self) -> HostConnection:
        conn = await connect_host(self._conninfo)
        try:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
        except psycopg.Error:
            await conn.close()
            raise
        return conn

    async def _run(self) -> None:
        while True:
            conn = self._conn
            if conn is not None:
                try:
                    async for notice in conn.notifies():
                        await self._handle(notice.payload)
                except psycopg.Error as exc:  # e.g. the server restarted
                    _LOG.warning("lost the event notification connection: %s", exc)
                with contextlib.suppress(psycopg.Error):
                    await conn.close()
                self._conn = None
            self._conn = await self._reconnect()
            # Notifications sent while nobody listened are gone; the events are not.
            await self._catch_up()
            _LOG.info("event notifications: listening again, caught up to %s", self._feed.position)

    async def _catch_up(self) -> None:
        # Until it succeeds: a gap left unread would wait for the next commit. Notifications
        # arriving meanwhile wait on the connection.
        for attempt in itertools.count():
            try:
                await self._feed.catch_up()
                return
            except psycopg.Error as exc:
                _LOG.warning(
                    "event notifications: catch-up attempt %d failed: %s", attempt + 1, exc
                )
            await asyncio.sleep(_backoff(attempt))  # between attempts, not a wait for a condition

    async def _handle(self, payload: str) -> None:
        parsed = parse_notification(payload)
        if parsed is None:
            _LOG.warning("ignoring a malformed event notification: %r", payload[:100])
            return
        instance, newest_id = parsed
        if instance != self._instance:
            await self._feed.remote_commit(newest_id)

    async def _reconnect(self) -> HostConnection:
        for attempt in itertools.count():
            await asyncio.sleep(_backoff(attempt))  # between attempts, not a wait for a condition
            try:
                return await self._listen()
            except (StoreUnavailableError, psycopg.Error) as exc:
                _LOG.warning(
                    "event notifications: reconnect attempt %d failed: %s", attempt + 1, exc
                )
        raise AssertionError("unreachable")


def _backoff(attempt: int) -> float:
    return _RECONNECT_DELAYS[min(attempt, len(_RECONNECT_DELAYS) - 1)]
