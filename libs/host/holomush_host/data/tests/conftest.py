"""Fixtures for the host data layer tests: a fresh host schema per test, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from holomush_host.data.connection import HostPool, host_conninfo, open_host_pool
from holomush_host.data.event_store import EventStore
from holomush_host.data.host_data import HostData
from holomush_host.data.migrate import run_host_migrations


@pytest.fixture
def schema() -> str:
    return f"holomush_t{secrets.token_hex(4)}"


@pytest.fixture
def conninfo(postgres_dsn: str, schema: str) -> str:
    return host_conninfo(postgres_dsn, schema)


@pytest_asyncio.fixture
async def pool(conninfo: str, schema: str) -> AsyncIterator[HostPool]:
    await run_host_migrations(conninfo, schema)
    pool = await open_host_pool(conninfo, min_size=1, max_size=6)
    try:
        yield pool
    finally:
        await pool.close()


@pytest_asyncio.fixture
async def store(pool: HostPool, conninfo: str, schema: str) -> AsyncIterator[EventStore]:
    events = EventStore(pool, conninfo, schema=schema)
    await events.start()
    try:
        yield events
    finally:
        await events.close()


@pytest_asyncio.fixture
async def data(postgres_dsn: str, schema: str) -> AsyncIterator[HostData]:
    host = await HostData.open(postgres_dsn, schema=schema, min_connections=1, max_connections=6)
    try:
        yield host
    finally:
        await host.close()


async def wait_for(
    condition: Callable[[], Awaitable[bool]], *, within: float = 10.0, what: str = "condition"
) -> None:
    """Poll ``condition`` (database state, which nothing signals) until it holds; fail the
    test after ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            while not await condition():  # noqa: ASYNC110  (no event to wait on)
                await asyncio.sleep(0.01)
    except TimeoutError:
        pytest.fail(f"timed out after {within} s waiting for {what}")
