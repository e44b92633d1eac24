"""Fixtures for the dispatch tests: the host data layer on real PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from holomush_host.data.host_data import HostData


def pytest_configure(config: pytest.Config) -> None:
    # Until the repo-root conftest loads it; import_plugin is a no-op once it is loaded.
    config.pluginmanager.import_plugin("holomush_testing.pytest_plugin")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def data(postgres_dsn: str) -> AsyncIterator[HostData]:
    """One host schema per test module (tests use fresh characters, so they do not meet)."""
    schema = f"holomush_t{secrets.token_hex(4)}"
    host = await HostData.open(postgres_dsn, schema=schema, min_connections=1, max_connections=4)
    try:
        yield host
    finally:
        await host.close()
