"""Subscriptions: replay then live, no event lost or repeated, across processes too."""

from __future__ import annotations

import asyncio
import json

import psycopg
import pytest

from holomush_host.data import event_queries
from holomush_host.data import subscription as subscription_module
from holomush_host.data.connection import HostPool
from holomush_host.data.errors import InvalidInputError
from holomush_host.data.event_store import EventStore
from holomush_host.data.event_types import (
    ALL_STREAMS,
    BoundedTail,
    EventDraft,
    FromCursor,
    StoredEvent,
)
from holomush_host.data.subscription import Subscription

from .conftest import wait_for
from .helpers import ALICE, take, take_until_barrier

ROOM = "location:01J0Z3V6Q2Y8K7M4N5P6R7S8AA"
HALL = "location:01J0Z3V6Q2Y8K7M4N5P6R7S8BB"
ME = "character:01J0Z3V6Q2Y8K7M4N5P6R7S8CC"


def numbered(stream: str, count: int, start: int = 0) -> list[EventDraft]:
    return [
        EventDraft(stream, "say", ALICE, json.dumps({"n": n})) for n in range(start, start + count)
    ]


async def test_live_only_receives_new_events_of_its_streams(store: EventStore) -> None:
    await store.append(ROOM, "say", ALICE)  # before: not replayed
    async with store.subscribe([ROOM, ME]) as sub:
        assert sub.is_live
        wanted = [
            await store.append(ROOM, "say", ALICE),
            await store.append(HALL, "say", ALICE),  # not subscribed
            await store.append(ME, "page", ALICE),
        ]
        assert await take_until_barrier(store, sub, ROOM) == [wanted[0], wanted[2]]
        assert sub.cursors()[ME] == wanted[2].id


async def test_from_cursor_replays_then_goes_live(store: EventStore) -> None:
    history = await store.append_many(numbered(ROOM, 5))
    async with store.subscribe({ROOM: FromCursor(history[1].id)}) as sub:
        assert not sub.is_live
        replayed = await take(sub, 3)
        assert replayed == history[2:]
        assert sub.is_live
        live = await store.append(ROOM, "say", ALICE)
        assert await take(sub, 1) == [live]


async def test_from_the_start_and_bounded_tail(store: EventStore) -> None:
    history = await store.append_many(numbered(ROOM, 6) + numbered(HALL, 4))
    room, hall = history[:6], history[6:]
    async with store.subscribe({ROOM: FromCursor(), HALL: BoundedTail(2)}) as sub:
        replayed = await take(sub, 8)
        assert [e for e in replayed if e.stream == ROOM] == room
        assert [e for e in replayed if e.stream == HALL] == hall[-2:]
        assert [e.id for e in replayed] == sorted(e.id for e in replayed)  # merged by id
        assert await take_until_barrier(store, sub, ROOM) == []


async def test_empty_tail_does_not_later_replay_old_events(store: EventStore) -> None:
    await store.append_many(numbered(ROOM, 3))
    async with store.subscribe({ROOM: BoundedTail(0)}, max_pending=1) as sub:
        await anext_after_barrier(store, sub)
        # Falling behind re-reads from the database: it must not go back to the old events.
        fresh = await store.append_many(numbered(ROOM, 5))
        assert await take(sub, 5) == fresh


async def anext_after_barrier(store: EventStore, sub) -> None:  # type: ignore[no-untyped-def]
    assert await take_until_barrier(store, sub, ROOM) == []


async def test_no_loss_no_duplicate_when_subscribing_during_appends(store: EventStore) -> None:
    """The replay/live race: subscriptions start, and read, while appends keep coming."""
    total = 300
    appended: list[StoredEvent] = []
    progress = asyncio.Condition()

    async def produce() -> None:
        for n in range(total):
            if n % 3 == 0:
                appended.extend(await store.append_many(numbered(ROOM, 2, n * 10)))
            else:
                appended.append(await store.append(ROOM, "say", ALICE, json.dumps({"n": n})))
            async with progress:
                progress.notify_all()
        appended.append(await store.append(ROOM, "end", ALICE))

    async def consume(after: int, page_size: int) -> tuple[int, list[StoredEvent]]:
        async with progress:
            await progress.wait_for(lambda: len(appended) >= after)
        sub = store.subscribe({ROOM: FromCursor()}, max_pending=page_size)
        started = len(appended)
        seen: list[StoredEvent] = []
        async with sub, asyncio.timeout(30):
            while not seen or seen[-1].type != "end":
                seen.append(await anext(sub))
            seen.extend(await take_until_barrier(store, sub, ROOM))
        return started, seen

    consumers = [
        asyncio.create_task(consume(after, page))
        for after, page in ((0, 1000), (5, 3), (40, 20), (120, 7), (250, 1000), (390, 2))
    ]
    await produce()
    results = await asyncio.gather(*consumers)
    assert sum(0 < started < len(appended) - 1 for started, _ in results) >= 4  # mid-stream
    for _, seen in results:  # other consumers' barriers are in the stream too
        assert [e.id for e in seen if e.type != "barrier"] == [e.id for e in appended]


@pytest.mark.parametrize("commit_after_snapshot", [True, False])
async def test_events_committed_while_a_replay_read_runs(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, commit_after_snapshot: bool
) -> None:
    """Pin the race down: an event commits (and is handed out live) while the replay read
    is in flight, after its snapshot (must not be lost) or before it (must not repeat)."""
    history = await store.append_many(numbered(ROOM, 3))
    real_fetch = event_queries.fetch_streams_after
    injected: list[StoredEvent] = []

    async def racing_fetch(conn, cursors, limit, types):  # type: ignore[no-untyped-def]
        if not injected and not commit_after_snapshot:
            injected.append(await store.append(ROOM, "say", ALICE))
        pages = await real_fetch(conn, cursors, limit, types)
        if not injected:
            injected.append(await store.append(ROOM, "say", ALICE))
        return pages

    monkeypatch.setattr(subscription_module, "fetch_streams_after", racing_fetch)  # seam
    async with store.subscribe({ROOM: FromCursor()}) as sub:
        assert await take(sub, 4) == history + injected
        assert await take_until_barrier(store, sub, ROOM) == []


async def test_consumers_that_keep_falling_behind_lose_nothing(store: EventStore) -> None:
    """Tiny queues make every consumer re-read from the database again and again while
    several writers keep committing: each re-read races the live events."""

    async def produce(worker: int) -> list[StoredEvent]:
        written: list[StoredEvent] = []
        for n in range(60):
            if n % 4 == 0:
                written.extend(await store.append_many(numbered(ROOM, 3, worker * 1000 + n)))
            else:
                written.append(await store.append(ROOM, "say", ALICE, json.dumps({"n": n})))
        return written

    subs = [store.subscribe([ROOM], max_pending=size) for size in (1, 2, 3, 1000)]

    async def consume(sub: Subscription, count: int) -> list[StoredEvent]:
        async with sub:
            return await take(sub, count, within=30)

    total = 4 * (15 * 3 + 45)
    readers = [asyncio.create_task(consume(sub, total)) for sub in subs]
    writers = await asyncio.gather(*(produce(worker) for worker in range(4)))
    written = sorted((e for batch in writers for e in batch), key=lambda e: e.id)
    assert len(written) == total
    results = await asyncio.gather(*readers)
    for received in results:
        assert [e.id for e in received] == [e.id for e in written]


async def test_live_consumer_during_appends_gets_every_event_once(store: EventStore) -> None:
    async with store.subscribe([ROOM]) as sub:
        writers = [
            asyncio.create_task(store.append_many(numbered(ROOM, 5, 100 * w))) for w in range(20)
        ]
        singles = [asyncio.create_task(store.append(ROOM, "say", ALICE)) for _ in range(50)]
        written = [e for batch in await asyncio.gather(*writers) for e in batch]
        written += await asyncio.gather(*singles)
        received = await take(sub, len(written))
        assert [e.id for e in received] == sorted(e.id for e in written)
        assert await take_until_barrier(store, sub, ROOM) == []


async def test_slow_consumer_falls_back_to_the_database(store: EventStore) -> None:
    async with store.subscribe([ROOM, HALL], max_pending=5) as sub:
        written = await store.append_many(numbered(ROOM, 30) + numbered(HALL, 30))
        written += await store.append_many(numbered(ROOM, 30, 100))
        assert sub.pending <= 5
        received = await take(sub, len(written))
        for stream in (ROOM, HALL):
            assert [e for e in received if e.stream == stream] == [
                e for e in written if e.stream == stream
            ]
        assert await take_until_barrier(store, sub, ROOM) == []


async def test_streams_can_be_added_and_removed(store: EventStore) -> None:
    async with store.subscribe([ROOM]) as sub:
        hall_history = await store.append_many(numbered(HALL, 3))
        queued = await store.append(ROOM, "say", ALICE)
        assert sub.add_stream(HALL, BoundedTail(2))
        assert not sub.add_stream(HALL)  # already there
        received = await take(sub, 3)
        assert set(e.id for e in received) == {queued.id, *(e.id for e in hall_history[-2:])}

        await store.append(ROOM, "say", ALICE)  # queued, then dropped with the stream
        assert sub.remove_stream(ROOM)
        assert not sub.remove_stream(ROOM)
        assert sub.streams == (HALL,)
        after = await store.append(HALL, "say", ALICE)
        assert await take(sub, 1) == [after]
        assert set(sub.cursors()) == {HALL}


async def test_event_type_filter_and_all_streams(store: EventStore) -> None:
    async with store.subscribe_all(event_types=["say"]) as sub:
        said = await store.append(ROOM, "say", ALICE)
        await store.append(HALL, "pose", ALICE)
        said_elsewhere = await store.append(ME, "say", ALICE)
        assert await take(sub, 2) == [said, said_elsewhere]
        with pytest.raises(ValueError, match="ALL_STREAMS"):
            sub.add_stream(ROOM)
    history_sub = store.subscribe_all(start=FromCursor(said.id))
    async with history_sub:
        assert [e.stream for e in await take(history_sub, 2)] == [HALL, ME]


async def test_closing_ends_iteration_and_store_close_ends_all(
    pool: HostPool, conninfo: str, schema: str
) -> None:
    events = EventStore(pool, conninfo, schema=schema)
    await events.start()
    sub = events.subscribe([ROOM])
    waiter = asyncio.create_task(anext(sub))
    await asyncio.sleep(0)
    await events.close()
    with pytest.raises(StopAsyncIteration):
        await waiter
    assert sub.closed
    with pytest.raises(RuntimeError, match="closed"):
        sub.add_stream(HALL)


async def test_bad_subscription_arguments(store: EventStore) -> None:
    with pytest.raises(InvalidInputError, match="invalid after_id"):
        store.subscribe({ROOM: FromCursor("nope")})
    with pytest.raises(InvalidInputError, match="tail count"):
        store.subscribe({ROOM: BoundedTail(501)})
    with pytest.raises(InvalidInputError, match="'<namespace>:<name>'"):
        store.subscribe(["nocolon"])
    with pytest.raises(InvalidInputError, match="'<namespace>:<name>'"):
        store.subscribe([ALL_STREAMS])
    sub = store.subscribe([ROOM])
    try:
        reader = asyncio.create_task(anext(sub))
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="one consumer"):
            await anext(sub)
        reader.cancel()
    finally:
        sub.close()


async def test_cancelled_read_leaves_the_subscription_usable(store: EventStore) -> None:
    history = await store.append_many(numbered(ROOM, 3))
    async with store.subscribe({ROOM: FromCursor()}, max_pending=2) as sub:
        reader = asyncio.create_task(anext(sub))
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
        assert await take(sub, 3) == history


async def test_two_processes_see_each_others_events(
    pool: HostPool, conninfo: str, schema: str, store: EventStore
) -> None:
    """A second store on the same schema stands in for a second host process."""
    other = EventStore(pool, conninfo, schema=schema)
    await other.start()
    try:
        async with store.subscribe([ROOM]) as here, other.subscribe([ROOM]) as there:
            mine = [await store.append(ROOM, "say", ALICE) for _ in range(3)]
            theirs = [await other.append(ROOM, "say", ALICE) for _ in range(3)]
            mixed = await asyncio.gather(
                *(
                    (store if n % 2 else other).append(ROOM, "say", ALICE, json.dumps({"n": n}))
                    for n in range(60)
                )
            )
            everything = sorted([*mine, *theirs, *mixed], key=lambda e: e.id)
            for sub in (here, there):
                got = await take(sub, len(everything))
                assert [e.id for e in got] == [e.id for e in everything]
    finally:
        await other.close()


async def test_lost_notification_connection_recovers(
    pool: HostPool, conninfo: str, schema: str, store: EventStore
) -> None:
    other = EventStore(pool, conninfo, schema=schema)
    await other.start()
    try:
        async with store.subscribe([ROOM]) as sub:
            async with pool.connection() as conn:
                cursor = await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN%%'"
                )
                assert len(await cursor.fetchall()) == 2  # both stores' listeners

            # Events committed while the listener is down still arrive once it is back.
            sent = [await other.append(ROOM, "say", ALICE) for _ in range(3)]
            assert await take(sub, 3, within=15) == sent

            async def listening_again() -> bool:
                async with pool.connection() as conn:
                    cursor = await conn.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND query LIKE 'LISTEN%%'"
                    )
                    row = await cursor.fetchone()
                return row is not None and row[0] == 2

            await wait_for(listening_again, what="both listeners to reconnect")
            later = await other.append(ROOM, "say", ALICE)
            assert await take(sub, 1) == [later]
    finally:
        await other.close()


async def test_listener_ignores_malformed_notifications(
    pool: HostPool, schema: str, store: EventStore
) -> None:
    async with store.subscribe([ROOM]) as sub:
        async with pool.connection() as conn:
            await conn.execute("SELECT pg_notify(%s, 'garbage')", (f"{schema}_events",))
        assert await take_until_barrier(store, sub, ROOM) == []


async def test_dropping_the_database_connection_surfaces_as_unavailable(
    postgres_dsn: str,
) -> None:
    # psycopg raises OperationalError for an unreachable server; the store maps it.
    from holomush_host.data.connection import connect_host, host_conninfo
    from holomush_host.data.errors import StoreUnavailableError

    bad = host_conninfo(postgres_dsn.replace("/holomush_test", "/no_such_db_"), "holomush")
    with pytest.raises(StoreUnavailableError, match="cannot reach"):
        await connect_host(bad)
    assert isinstance(psycopg.OperationalError("x"), psycopg.Error)
