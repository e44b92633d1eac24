"""Fixtures for the gateway tests: real sockets, the real data layer and dispatcher; only
the plugin manager is scripted."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from holomush_host.data.host_data import HostData
from holomush_host.dispatch.tests.helpers import Wired, wire
from holomush_host.gateway.connection import TelnetSettings
from holomush_host.gateway.server import TelnetServer
from holomush_host.gateway.sessions import PlayerSessions


def pytest_configure(config: pytest.Config) -> None:
    # Until the repo-root conftest loads it; import_plugin is a no-op once it is loaded.
    config.pluginmanager.import_plugin("holomush_testing.pytest_plugin")


@pytest_asyncio.fixture
async def data(postgres_dsn: str) -> AsyncIterator[HostData]:
    schema = f"holomush_t{secrets.token_hex(4)}"
    host = await HostData.open(postgres_dsn, schema=schema, min_connections=1, max_connections=6)
    try:
        yield host
    finally:
        await host.close()


@pytest.fixture
def wired(data: HostData) -> Wired:
    return wire(data)


@pytest.fixture
def settings() -> TelnetSettings:
    return TelnetSettings()


@pytest_asyncio.fixture
async def server(wired: Wired, settings: TelnetSettings) -> AsyncIterator[TelnetServer]:
    server = TelnetServer(
        PlayerSessions(wired.data), wired.dispatcher, host="127.0.0.1", port=0, settings=settings
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
