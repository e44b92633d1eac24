"""PostgreSQL stopped under a connected player: a command gets one plain sentence saying the
database is not answering (no traceback, the connection stays), and once PostgreSQL is back
the next command works without anything being restarted."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator

import pytest_asyncio

from holomush_host.data.host_data import HostData
from holomush_host.dispatch.tests.helpers import wire
from holomush_host.gateway import texts
from holomush_host.gateway.server import TelnetServer
from holomush_host.gateway.sessions import PlayerSessions
from holomush_host.gateway.tests.client import TelnetTestClient
from holomush_testing.restartable_postgres import RestartablePostgres


@pytest_asyncio.fixture
async def outage_server(restartable_postgres_dsn: str) -> AsyncIterator[TelnetServer]:
    data = await HostData.open(
        restartable_postgres_dsn,
        schema=f"holomush_o{secrets.token_hex(4)}",
        min_connections=1,
        max_connections=4,
    )
    server = TelnetServer(PlayerSessions(data), wire(data).dispatcher, host="127.0.0.1", port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        await data.close()


async def test_a_command_during_an_outage_is_told_plainly_and_the_next_one_works(
    restartable_postgres: RestartablePostgres, outage_server: TelnetServer
) -> None:
    async with await TelnetTestClient.connect(outage_server.port) as client:
        name = await client.login()
        await restartable_postgres.astop()
        await client.line("say is anyone there?")
        await client.expect(rf"^{re.escape(texts.STORE_UNAVAILABLE)}\r\n", timeout=30)
        assert "Traceback" not in client.received.decode()

        await restartable_postgres.astart()
        await client.line("say back again")
        await client.expect(rf'^{name} says, "back again"\r\n', timeout=30)
