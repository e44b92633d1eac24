"""`append_many(on_committed=...)`: told of the stored events after the commit and before any
subscriber sees them (event delivery relies on it to know who appended an event)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from holomush_host.data.event_store import EventStore
from holomush_host.data.event_types import Actor, ActorKind, EventDraft, StoredEvent

STREAM = "location:01HOOKS0000000000000000000"
ALICE = Actor(ActorKind.CHARACTER, "01ALICE000000000000000000")


async def test_the_hook_runs_before_a_subscriber_sees_the_events(store: EventStore) -> None:
    told: set[str] = set()
    known_when_seen: list[bool] = []

    def hook(events: Sequence[StoredEvent]) -> None:
        told.update(event.id for event in events)

    async with store.subscribe([STREAM]) as subscription:
        drafts = [EventDraft(STREAM, "say", ALICE, f'{{"n": {n}}}') for n in range(3)]
        # Many small appends at once, so the writer batches them into shared commits.
        appends = [store.append_many([draft], on_committed=hook) for draft in drafts * 20]
        appended = asyncio.gather(*appends)
        for _ in range(60):
            event = await asyncio.wait_for(anext(subscription), 10)
            known_when_seen.append(event.id in told)
        stored = [event for batch in await appended for event in batch]
    assert len(known_when_seen) == 60
    assert all(known_when_seen)
    assert told == {event.id for event in stored}


async def test_a_failing_hook_does_not_undo_the_append(store: EventStore) -> None:
    def hook(events: Sequence[StoredEvent]) -> None:
        raise RuntimeError("a bug in the caller")

    (stored,) = await store.append_many([EventDraft(STREAM, "say", ALICE)], on_committed=hook)
    assert await store.last_event_id(STREAM) == stored.id
