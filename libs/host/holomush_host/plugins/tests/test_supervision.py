"""A crashed or hung plugin is restarted and usable again; shutdown is graceful.

The restart times are printed (run with ``-s`` to see them); they are measured here, not
asserted.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import grpc.aio
import pytest
import pytest_asyncio

from holomush.scene.v1 import scene_pb2, scene_pb2_grpc
from holomush_host.data.host_data import HostData
from holomush_host.data.world import CharacterInfo
from holomush_host.plugins.config import PluginManagerConfig, SupervisionSettings
from holomush_host.plugins.errors import PluginCallError, PluginUnavailableError
from holomush_host.plugins.manager import PluginManager
from holomush_host.plugins.report import PluginState
from holomush_host.plugins.tests.helpers import add_plugin, command, fixture_manifest, wait_for
from holomush_host.services.public_server import PublicGrpcServer
from holomush_sdk.commands import CommandRequest

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCENES = "holomush.scene.v1.SceneService"


@dataclass
class Phoenix:
    manager: PluginManager
    public: PublicGrpcServer
    alice: CharacterInfo

    def request(self, verb: str) -> CommandRequest:
        return command(verb, character_id=self.alice.id, location_id=self.alice.location_id)

    def state(self) -> PluginState:
        plugin = self.manager.plugin("phoenix")
        assert plugin is not None
        return plugin.state


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def phoenix(
    postgres_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Phoenix]:
    plugins_dir = tmp_path_factory.mktemp("plugins")
    add_plugin(
        plugins_dir,
        fixture_manifest(
            "phoenix",
            provides=[SCENES],
            storage="postgres",
            resource_types=["widget"],
            emits=["fx"],
            commands=[{"name": "fx"}],
        ),
    )
    data = await HostData.open(postgres_dsn, min_connections=1, max_connections=4)
    settings = SupervisionSettings(ping_interval=0.3, ping_timeout=0.5, failed_pings=2)
    config = PluginManagerConfig(plugins_dir, database_url=postgres_dsn, supervision=settings)
    manager = PluginManager(config, data)
    try:
        report = await manager.start()
        assert report.loaded == ("phoenix",), str(report)
        public = manager.public_server()
        await public.start()
        alice = await data.world.create_guest_character()
        yield Phoenix(manager, public, alice)
        await public.stop()
    finally:
        await manager.stop()
        await data.close()


async def get_scene(phoenix: Phoenix) -> str:
    async with grpc.aio.insecure_channel(phoenix.public.target) as channel:
        scenes = scene_pb2_grpc.SceneServiceStub(channel)
        reply = await scenes.GetScene(scene_pb2.GetSceneRequest(scene_id="s1"), timeout=10)
    return reply.scene.title


async def test_killed_plugin_is_restarted_and_usable_again(phoenix: Phoenix) -> None:
    manager = phoenix.manager
    before = manager.plugin("phoenix")
    assert before is not None
    assert before.pid is not None
    first_dsn = json.loads(
        (await manager.handle_command("phoenix", phoenix.request("init"))).output
    )["connection_string"]
    killed_at = time.monotonic()
    os.kill(before.pid, signal.SIGKILL)
    await wait_for(lambda: phoenix.state() is PluginState.RESTARTING, what="the crash noticed")

    with pytest.raises(PluginUnavailableError) as caught:
        await manager.handle_command("phoenix", phoenix.request("init"))
    assert caught.value.message == "phoenix is restarting; try again in a moment."
    with pytest.raises(grpc.aio.AioRpcError) as rpc:
        await get_scene(phoenix)
    assert rpc.value.code() is grpc.StatusCode.UNAVAILABLE
    assert rpc.value.details() == "phoenix is restarting; try again in a moment."

    after = await manager.wait_running("phoenix", timeout=60)
    print(f"\nrestart after kill -9: {time.monotonic() - killed_at:.2f} s")
    assert after.pid not in (None, before.pid)
    assert after.restarts == 1
    # Re-provisioned (fresh password), re-initialised, re-registered:
    init = json.loads((await manager.handle_command("phoenix", phoenix.request("init"))).output)
    assert init["connection_string"] != first_dsn
    db = json.loads((await manager.handle_command("phoenix", phoenix.request("db"))).output)
    assert db["user"] == "holomush_plugin_phoenix"
    assert await get_scene(phoenix) == "s1 from phoenix"
    assert (await manager.resolve_attributes("widget", "w1"))["colour"] == "blue"


async def test_a_plugin_dying_mid_command_reports_it_is_restarting(phoenix: Phoenix) -> None:
    manager = phoenix.manager
    before = manager.plugin("phoenix")
    assert before is not None
    with pytest.raises(PluginUnavailableError) as caught:
        await manager.handle_command("phoenix", phoenix.request("crash"))
    assert caught.value.message == "phoenix is restarting; try again in a moment."
    await wait_for(
        lambda: (
            (manager.plugin("phoenix") or before).restarts == before.restarts + 1
            and phoenix.state() is PluginState.RUNNING
        ),
        within=60,
        what="the crashed plugin to be replaced",
    )
    assert (await phoenix.manager.handle_command("phoenix", phoenix.request("bogus"))).output == (
        "unknown subcommand: bogus"
    )


async def test_hung_plugin_is_restarted(phoenix: Phoenix) -> None:
    manager = phoenix.manager
    before = manager.plugin("phoenix")
    assert before is not None
    frozen_at = time.monotonic()
    # The handler blocks the plugin's whole event loop: it stops answering pings too.
    with pytest.raises(PluginCallError, match="did not answer in time"):
        await manager.handle_command("phoenix", phoenix.request("freeze 60"), timeout=0.5)
    await wait_for(
        lambda: (
            (manager.plugin("phoenix") or before).restarts == before.restarts + 1
            and phoenix.state() is PluginState.RUNNING
        ),
        within=60,
        what="the hung plugin to be replaced",
    )
    print(f"\nrestart of a hung plugin: {time.monotonic() - frozen_at:.2f} s")
    after = manager.plugin("phoenix")
    assert after is not None
    assert after.pid != before.pid
    assert (await manager.handle_command("phoenix", phoenix.request("bogus"))).output == (
        "unknown subcommand: bogus"
    )


async def test_stop_shuts_every_plugin_down_gracefully(
    phoenix: Phoenix, caplog: pytest.LogCaptureFixture
) -> None:
    plugin = phoenix.manager.plugin("phoenix")
    assert plugin is not None
    assert plugin.pid is not None
    with caplog.at_level(logging.INFO):
        await phoenix.manager.stop()
    assert phoenix.state() is PluginState.STOPPED
    with pytest.raises(ProcessLookupError):
        os.kill(plugin.pid, 0)
    messages = [record.getMessage() for record in caplog.records]
    assert "plugin process exited" in messages
    assert "plugin failed to exit gracefully" not in messages
    with pytest.raises(PluginUnavailableError, match="phoenix is not available"):
        await phoenix.manager.handle_command("phoenix", phoenix.request("init"))
