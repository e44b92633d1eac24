"""Event origins: known at once, or after the append that wrote the event returns."""

from __future__ import annotations

import asyncio

import pytest

from holomush_host.services.event_origins import EventOrigin, EventOrigins

ZETA = EventOrigin("zeta", 1)


async def test_unknown_events_have_no_origin_and_need_no_wait() -> None:
    origins = EventOrigins()
    assert await origins.lookup("01UNKNOWN") is None


async def test_a_lookup_waits_for_the_appends_pending_when_it_started() -> None:
    origins = EventOrigins()
    committed = asyncio.Event()
    release = asyncio.Event()

    async def append() -> None:
        async with origins.appending(ZETA) as record:
            committed.set()  # the event is in the store; its id is not recorded yet
            await release.wait()
            record(["01EVENT"])

    appender = asyncio.create_task(append())
    await committed.wait()
    lookup = asyncio.create_task(origins.lookup("01EVENT"))
    await asyncio.sleep(0)
    assert not lookup.done()
    release.set()
    assert await lookup == ZETA
    await appender


async def test_appends_that_start_later_are_not_waited_for() -> None:
    origins = EventOrigins()
    later = asyncio.Event()

    async def append() -> None:
        async with origins.appending(ZETA):
            await later.wait()

    lookup = asyncio.create_task(origins.lookup("01OTHER", wait_limit=5))
    appender = asyncio.create_task(append())
    assert await lookup is None
    later.set()
    await appender


def test_capacity_bounds_memory() -> None:
    origins = EventOrigins(capacity=2)

    async def fill() -> None:
        for event_id in ("a", "b", "c"):
            async with origins.appending(ZETA) as record:
                record([event_id])

    asyncio.run(fill())
    assert asyncio.run(origins.lookup("a")) is None
    assert asyncio.run(origins.lookup("c")) == ZETA
    with pytest.raises(ValueError, match="capacity"):
        EventOrigins(capacity=0)
