"""Run the README's sample plugins as a host would: real processes over go-plugin with mTLS."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from holomush.plugin.v1 import plugin_pb2, plugin_pb2_grpc
from holomush_sdk.goplugin.client import PluginClient, PluginCommand, start_plugin
from holomush_sdk.goplugin.tls import TransportSecurity

__all__ = [
    "ALICE_ID",
    "LOCATION_ID",
    "SESSION_ID",
    "child_env",
    "command",
    "init",
    "running_sample",
]

ALICE_ID = "01JD0000000000000000000001"
LOCATION_ID = "01JD0000000000000000000002"
SESSION_ID = "01JD0000000000000000000003"
PLAYER_ID = "01JD0000000000000000000004"


def child_env(*paths: Path, **extra: str) -> dict[str, str]:
    """This process's environment (less PEX_*) with ``paths``, then this process's
    sys.path (made absolute: a child may run elsewhere) on PYTHONPATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PEX_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [*map(str, paths), *(os.path.abspath(p) for p in sys.path if p)]
    )
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def running_sample(plugin_dir: Path, name: str) -> AsyncIterator[PluginClient]:
    """Start the sample plugin in ``plugin_dir`` (``python -m <package>.main``)."""
    package = plugin_dir.name
    command_line = PluginCommand(
        argv=[sys.executable, "-m", f"{package}.main"],
        env=child_env(plugin_dir),
        inherit_env=False,
    )
    client = await start_plugin(name, command_line, tls=TransportSecurity.mtls(), start_timeout=60)
    try:
        yield client
    finally:
        await client.kill()


async def init(
    client: PluginClient,
    *,
    connection_string: str = "",
    required_services: Mapping[str, str] | None = None,
) -> plugin_pb2_grpc.PluginServiceAsyncStub:
    """Send Init as the host does; return the PluginService stub."""
    stub: plugin_pb2_grpc.PluginServiceAsyncStub = plugin_pb2_grpc.PluginServiceStub(client.channel)
    config = plugin_pb2.ServiceConfig(
        connection_string=connection_string, required_services=dict(required_services or {})
    )
    await stub.Init(plugin_pb2.InitRequest(config=config), timeout=30)
    return stub


def command(
    name: str,
    args: str = "",
    *,
    character_id: str = ALICE_ID,
    location_id: str = LOCATION_ID,
    session_id: str = SESSION_ID,
) -> plugin_pb2.HandleCommandRequest:
    return plugin_pb2.HandleCommandRequest(
        command=plugin_pb2.CommandRequest(
            command=name,
            args=args,
            raw_input=name,
            character_id=character_id,
            character_name="Alice",
            location_id=location_id,
            session_id=session_id,
            player_id=PLAYER_ID,
        )
    )
