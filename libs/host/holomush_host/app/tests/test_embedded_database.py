"""Without --database-url the host runs its own PostgreSQL, and its state survives."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from holomush_host.app.config import HostConfig
from holomush_host.app.host import running_host
from holomush_host.data.world import location_stream
from holomush_host.gateway.tests.client import TelnetTestClient


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: as root, the server runs as another user, and pytest
    # sessions running in parallel keep resetting their base directory to mode 0700.
    directory = Path(tempfile.mkdtemp(prefix="holomush-app-test-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def test_state_survives_a_restart(data_dir: Path) -> None:
    config = HostConfig(
        plugins_dir=data_dir / "no-plugins",
        data_dir=data_dir / "data",
        telnet_host="127.0.0.1",
        telnet_port=0,
        grpc_port=0,
    )
    async with running_host(config) as host:
        assert host.status.database.startswith("embedded PostgreSQL")
        assert (data_dir / "data" / "postgres" / "PG_VERSION").is_file()
        assert host.telnet is not None
        async with await TelnetTestClient.connect(host.telnet.port) as client:
            name = await client.login()
            await client.line("say remember me")
            await client.expect(rf'^{name} says, "remember me"')
        assert host.data is not None
        room = location_stream((await host.data.world.default_location()).id)

    async with running_host(config) as host:
        assert host.data is not None
        said = [
            json.loads(event.payload)
            for event in await host.data.events.replay(room, limit=1000)
            if event.type == "say"
        ]
        assert said == [{"character_name": name, "message": "remember me"}]
