"""PostgreSQL restarts under a running host: the pool and the LISTEN connection come back
by themselves, and no committed event is lost to a subscriber.

Every test runs on an embedded server it stops and starts again (`restartable_postgres`).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import psycopg
import pytest
import pytest_asyncio

from holomush_host.data.connection import host_conninfo, open_host_pool, pooled
from holomush_host.data.errors import StoreUnavailableError
from holomush_host.data.event_store import EventStore
from holomush_host.data.event_types import EventDraft
from holomush_host.data.host_data import HostData
from holomush_host.data.ids import UlidFactory
from holomush_testing.restartable_postgres import RestartablePostgres

from .helpers import ALICE, SYSTEM, take

T = TypeVar("T")
STREAM = "location:01J0Z3V6Q2Y8K7M4N5P6R7S8T9"
RECOVERY_TIMEOUT = 30.0


@pytest.fixture
def schema() -> str:
    return f"holomush_r{secrets.token_hex(4)}"


@pytest_asyncio.fixture
async def host(restartable_postgres_dsn: str, schema: str) -> AsyncIterator[HostData]:
    data = await HostData.open(
        restartable_postgres_dsn, schema=schema, min_connections=2, max_connections=4
    )
    try:
        yield data
    finally:
        await data.close()


async def first_success(operation: Callable[[], Awaitable[T]]) -> tuple[T, int]:
    """Retry ``operation`` while it raises `StoreUnavailableError`; its result and the
    number of failures before it. Fails the test after RECOVERY_TIMEOUT."""
    failures = 0
    try:
        async with asyncio.timeout(RECOVERY_TIMEOUT):
            while True:
                try:
                    return await operation(), failures
                except StoreUnavailableError:
                    failures += 1
                await asyncio.sleep(0.05)  # between attempts; nothing signals recovery
    except TimeoutError:
        pytest.fail(f"still failing {RECOVERY_TIMEOUT} s after the database came back")


async def restart(server: RestartablePostgres) -> None:
    """A fast shutdown (the server ends every session), then a start."""
    await server.astop("fast")
    await server.astart()


async def test_the_pool_replaces_the_connections_a_restart_closed(
    restartable_postgres: RestartablePostgres, host: HostData
) -> None:
    guest = await host.world.create_guest_character()
    await restart(restartable_postgres)

    # The pool's idle connections all died with the old server; each is checked and
    # replaced as it is handed out, so the first query after the restart succeeds.
    assert await host.world.get_character(guest.id) == guest
    later = await host.world.create_guest_character()
    assert await host.world.get_character(later.id) == later


async def test_a_query_during_the_outage_fails_clearly_and_the_next_one_succeeds(
    restartable_postgres: RestartablePostgres, restartable_postgres_dsn: str, schema: str
) -> None:
    conninfo = host_conninfo(restartable_postgres_dsn, schema)
    pool = await open_host_pool(conninfo, min_size=1, max_size=2, checkout_timeout=1.0)
    try:
        await restartable_postgres.astop("fast")
        with pytest.raises(StoreUnavailableError) as caught:
            async with pooled(pool) as conn:
                await conn.execute("SELECT 1")
        assert caught.value.code == "STORE_UNAVAILABLE"
        assert str(caught.value).startswith("STORE_UNAVAILABLE: the host database is unavailable")

        await restartable_postgres.astart()
        back = time.monotonic()

        async def select_one() -> object:
            async with pooled(pool) as conn:
                cursor = await conn.execute("SELECT 1")
                return await cursor.fetchone()

        row, _ = await first_success(select_one)
        assert row == (1,)
        # The pool re-dials at once when a caller waits, not after a long back-off.
        assert time.monotonic() - back < 5.0
    finally:
        await pool.close()


async def test_appends_and_live_subscriptions_carry_on_after_a_restart(
    restartable_postgres: RestartablePostgres, host: HostData
) -> None:
    async with host.events.subscribe([STREAM]) as live:
        before = await host.events.append(STREAM, "say", ALICE, '{"n": 1}')
        assert await take(live, 1) == [before]

        await restart(restartable_postgres)

        after, _ = await first_success(lambda: host.events.append(STREAM, "say", ALICE, '{"n": 2}'))
        assert await take(live, 1) == [after]
        assert after.id > before.id
        assert await host.events.replay(STREAM) == [before, after]


async def test_events_of_another_host_process_arrive_after_a_restart(
    restartable_postgres: RestartablePostgres,
    host: HostData,
    restartable_postgres_dsn: str,
    schema: str,
) -> None:
    # A second host process on the same schema: its events reach this one's subscribers
    # only through LISTEN/NOTIFY (or the catch-up after the listener reconnects).
    other_pool = await open_host_pool(
        host_conninfo(restartable_postgres_dsn, schema), min_size=1, max_size=2
    )
    other = EventStore(other_pool, host_conninfo(restartable_postgres_dsn, schema), schema=schema)
    await other.start()
    try:
        async with host.events.subscribe([STREAM]) as live:
            first = await other.append(STREAM, "say", ALICE, '{"n": 1}')
            assert await take(live, 1) == [first]

            await restart(restartable_postgres)

            drafts = [EventDraft(STREAM, "say", ALICE, f'{{"n": {n}}}') for n in range(2, 5)]
            written, _ = await first_success(lambda: other.append_many(drafts))
            assert await take(live, 3) == written
    finally:
        await other.close()
        await other_pool.close()


async def test_events_committed_while_the_listener_was_away_are_caught_up(
    host: HostData, restartable_postgres_dsn: str, schema: str
) -> None:
    # Deterministic catch-up: an event committed with no notification at all (another
    # writer's NOTIFY lost while nobody listened), then the LISTEN connection dropped.
    async with host.events.subscribe([STREAM]) as live:
        async with await psycopg.AsyncConnection.connect(
            host_conninfo(restartable_postgres_dsn, schema), autocommit=True
        ) as admin:
            cursor = await admin.execute("SELECT max(id) FROM events")
            newest = await cursor.fetchone()
            assert newest is not None
            silent_id = UlidFactory().next(floor=newest[0])
            await admin.execute(
                "INSERT INTO events (id, stream, type, actor_kind, actor_id, payload)"
                " VALUES (%s, %s, 'say', %s, %s, '{}')",
                (silent_id, STREAM, int(SYSTEM.kind), SYSTEM.id),
            )
            cursor = await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query LIKE 'LISTEN %%'"
            )
            assert await cursor.fetchall() == [(True,)]

        (caught_up,) = await take(live, 1, within=RECOVERY_TIMEOUT)
        assert caught_up.id == silent_id
