"""Small helpers shared by the data layer tests."""

from __future__ import annotations

import asyncio

from holomush_host.data.event_store import EventStore
from holomush_host.data.event_types import Actor, ActorKind, StoredEvent
from holomush_host.data.subscription import Subscription

ALICE = Actor(ActorKind.CHARACTER, "01J0Z3V6Q2Y8K7M4N5P6R7S8T9")
SYSTEM = Actor(ActorKind.SYSTEM, "system")


async def take(subscription: Subscription, count: int, within: float = 10.0) -> list[StoredEvent]:
    """The next ``count`` events, failing after ``within`` seconds."""
    events: list[StoredEvent] = []
    async with asyncio.timeout(within):
        while len(events) < count:
            events.append(await anext(subscription))
    return events


async def take_until_barrier(
    store: EventStore, subscription: Subscription, stream: str, within: float = 10.0
) -> list[StoredEvent]:
    """Append a barrier event to ``stream`` and return everything received before it.

    Proves "nothing else arrives" without waiting for a fixed time: the barrier comes
    after every event committed earlier, so anything extra would show up before it.
    """
    barrier = await store.append(stream, "barrier", SYSTEM)
    received: list[StoredEvent] = []
    async with asyncio.timeout(within):
        while True:
            event = await anext(subscription)
            if event.id == barrier.id:
                return received
            received.append(event)
