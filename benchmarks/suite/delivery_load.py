"""Say load for the event-delivery measurement; runs inside the host process.

Characters ``say`` things in rooms the way the host's ``say`` command does (an append to
``location:<id>`` with ``{"character_name", "message"}``); echo-bot hears each through the
host's event delivery and its echo is appended to the same room. A subscription to the
rooms (like a player's) matches each echo to its say. The lag of a say is the time from
its append to the append of its echo (the store's ``created_at`` of both).

* `closed_loop`: ``players`` characters, each saying the next thing as soon as the echo
  of the previous one is stored: the most the pipeline sustains;
* `paced`: says at a fixed rate, whatever happens to them: the lag at that load.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from echo_bot.bot import ECHO_PREFIX
from holomush_host.data.event_store import EventStore
from holomush_host.data.event_types import Actor, ActorKind, LiveOnly, StoredEvent
from holomush_host.data.ids import new_ulid
from suite.stats import Latencies

__all__ = ["DeliveryResult", "closed_loop", "paced"]

_DRAIN_TIMEOUT = 5.0  # how long to wait for echoes after the last say


@dataclass
class DeliveryResult:
    says: int = 0
    """Says appended while the load ran."""
    echoed_in_window: int = 0
    """Echoes stored while the load ran (the sustained rate is this over ``seconds``)."""
    seconds: float = 0.0
    lags: list[float] = field(default_factory=list)
    """Say append → echo append, seconds, for every say echoed (in the window or after)."""

    def as_dict(self) -> dict[str, object]:
        """What the host runner sends back (lag percentiles in seconds, None without echoes)."""
        lags = Latencies(self.lags)
        return {
            "says": self.says,
            "echoed_in_window": self.echoed_in_window,
            "echoed": len(self.lags),
            "seconds": self.seconds,
            "lag_p50": lags.percentile(0.50) if self.lags else None,
            "lag_p99": lags.percentile(0.99) if self.lags else None,
        }


class _EchoWatcher:
    """Matches echoes to says by their message; resolves a future per say."""

    def __init__(self, events: EventStore, rooms: list[str]) -> None:
        self._subscription = events.subscribe(rooms, start=LiveOnly(), max_pending=100_000)
        self._run = secrets.token_hex(4)
        self._sequence = 0
        self._said_at: dict[str, float] = {}
        self._waiting: dict[str, asyncio.Future[None]] = {}
        self.window_end = float("inf")
        self.result = DeliveryResult()
        self._task = asyncio.create_task(self._watch(), name="bench echo watcher")

    def next_message(self) -> tuple[str, asyncio.Future[None]]:
        self._sequence += 1
        message = f"bench {self._run} {self._sequence}"
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[message] = future
        return message, future

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - one limit for all echoes
        if self._waiting:
            await asyncio.wait(set(self._waiting.values()), timeout=timeout)

    async def close(self) -> None:
        self._subscription.close()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        for future in self._waiting.values():
            future.cancel()

    async def _watch(self) -> None:
        async for event in self._subscription:
            self._seen(event)

    def _seen(self, event: StoredEvent) -> None:
        try:
            message = json.loads(event.payload).get("message")
        except (ValueError, AttributeError):
            return
        if not isinstance(message, str):
            return
        when = event.created_at.timestamp()
        if event.actor.kind is not ActorKind.PLUGIN:
            self._said_at[message] = when
            return
        said = message.removeprefix(ECHO_PREFIX)
        future = self._waiting.pop(said, None)
        said_at = self._said_at.pop(said, None)
        if future is None or said_at is None:
            return
        self.result.lags.append(when - said_at)
        if time.monotonic() < self.window_end:
            self.result.echoed_in_window += 1
        future.set_result(None)


@contextlib.asynccontextmanager
async def _watching(
    events: EventStore, rooms: int
) -> AsyncIterator[tuple[_EchoWatcher, list[str]]]:
    streams = [f"location:{new_ulid()}" for _ in range(rooms)]
    watcher = _EchoWatcher(events, streams)
    try:
        yield watcher, streams
    finally:
        await watcher.close()


def _say_payload(message: str) -> str:
    return json.dumps({"character_name": "Bench", "message": message})


async def closed_loop(
    events: EventStore, *, players: int, rooms: int, seconds: float
) -> DeliveryResult:
    actors = [Actor(ActorKind.CHARACTER, new_ulid()) for _ in range(players)]
    async with _watching(events, rooms) as (watcher, streams):
        started = time.monotonic()
        watcher.window_end = started + seconds

        async def player(index: int) -> None:
            stream, actor = streams[index % len(streams)], actors[index]
            while time.monotonic() < watcher.window_end:
                message, echoed = watcher.next_message()
                await events.append(stream, "say", actor, _say_payload(message))
                watcher.result.says += 1
                await echoed

        tasks = [asyncio.create_task(player(i)) for i in range(players)]
        await asyncio.wait(tasks, timeout=seconds + _DRAIN_TIMEOUT)
        watcher.result.seconds = seconds
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return watcher.result


async def paced(events: EventStore, *, rate: float, rooms: int, seconds: float) -> DeliveryResult:
    actor = Actor(ActorKind.CHARACTER, new_ulid())
    appends: set[asyncio.Task[StoredEvent]] = set()
    async with _watching(events, rooms) as (watcher, streams):
        total = int(rate * seconds)
        started = time.monotonic()
        watcher.window_end = started + seconds
        for index in range(total):
            due = started + index / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # the schedule, not a wait for a condition
            message, _ = watcher.next_message()
            task = asyncio.create_task(
                events.append(streams[index % len(streams)], "say", actor, _say_payload(message))
            )
            appends.add(task)
            task.add_done_callback(appends.discard)
        watcher.result.says = total
        await asyncio.gather(*appends, return_exceptions=True)
        await asyncio.sleep(max(0.0, watcher.window_end - time.monotonic()))
        watcher.result.seconds = seconds
        await watcher.drain(_DRAIN_TIMEOUT)
        return watcher.result
