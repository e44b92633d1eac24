"""`python -m core_scenes.main` is a go-plugin plugin: it prints the handshake line and
serves SceneService and the attribute resolver on the announced socket."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio

from holomush.plugin.v1 import attribute_pb2, attribute_pb2_grpc
from holomush.scene.v1 import scene_pb2, scene_pb2_grpc

HANDSHAKE_TIMEOUT = 30.0


@pytest_asyncio.fixture
async def plugin_address() -> AsyncIterator[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PEX_")}
    env |= {
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "HOLOMUSH_PLUGIN": "holomush-v1",
        "PLUGIN_PROTOCOL_VERSIONS": "1",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "core_scenes.main",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), HANDSHAKE_TIMEOUT)
        core, app, network, address, protocol, *_ = line.decode().strip().split("|")
        assert (core, app, network, protocol) == ("1", "1", "unix", "grpc")
        yield f"unix:{address}"
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), HANDSHAKE_TIMEOUT)


async def test_the_entry_point_serves_the_plugin(plugin_address: str) -> None:
    async with grpc.aio.insecure_channel(plugin_address) as channel:
        resolver = attribute_pb2_grpc.AttributeResolverServiceStub(channel)  # type: ignore[no-untyped-call]
        schema = await resolver.GetSchema(attribute_pb2.GetSchemaRequest())
        assert "participants" in schema.resource_types["scene"].attributes
        scenes = scene_pb2_grpc.SceneServiceStub(channel)  # type: ignore[no-untyped-call]
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await scenes.GetScene(scene_pb2.GetSceneRequest(character_id="c", scene_id="s"))
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE  # no Init yet
