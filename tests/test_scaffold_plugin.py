"""Plugins made by `holomush plugin new` load and work in the real host's PluginManager.

Three generated plugins share one plugins directory, as in production: a plain one, one
with PostgreSQL storage (the manager provisions its schema; Init runs its migration) and
one that provides SceneService (reachable through the host's public gRPC port). Each is
installed the way its bundle unpacks, with a launcher in place of the PEX that runs the
generated package with this interpreter.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import pytest_asyncio

from holomush.scene.v1 import scene_pb2, scene_pb2_grpc
from holomush_host.data.host_data import HostData
from holomush_host.data.world import CharacterInfo
from holomush_host.plugins.config import PluginManagerConfig
from holomush_host.plugins.manager import PluginManager
from holomush_host.plugins.report import LoadOutcome, LoadReport
from holomush_host.scaffold import add_plugin_new_arguments, run_plugin_new
from holomush_host.services.public_server import PublicGrpcServer
from holomush_sdk.commands import CommandRequest, CommandStatus
from holomush_testing.postgres import PostgresTestServer, fresh_database

SCENES = "holomush.scene.v1.SceneService"
PLUGINS = {
    "hello-world": [],
    "guest-book": ["--storage", "postgres"],
    "scenery": ["--provides", SCENES],
}


def plugin_new(source_dir: Path, name: str, options: list[str]) -> Path:
    """``holomush plugin new NAME [OPTIONS] --dir SOURCE_DIR``; returns the plugin's source."""
    parser = argparse.ArgumentParser(prog="holomush plugin new")
    add_plugin_new_arguments(parser)
    assert run_plugin_new(parser.parse_args([name, *options, "--dir", str(source_dir)])) == 0
    return source_dir / name.replace("-", "_")


def install(plugin_source: Path, plugins_dir: Path) -> None:
    """What unpacking the plugin's bundle does: ``<name>/plugin.yaml`` next to
    ``<name>/<name>``, here a launcher running the source package instead of the PEX."""
    manifest = (plugin_source / "plugin.yaml").read_text()
    name = plugin_source.name.replace("_", "-")
    bundle = plugins_dir / name
    bundle.mkdir()
    (bundle / "plugin.yaml").write_text(manifest)
    python_path = os.pathsep.join(
        [str(plugin_source), *(os.path.abspath(p) for p in sys.path if p)]
    )
    launcher = bundle / name  # binary-plugin.executable is the plugin's name
    launcher.write_text(
        "#!/bin/sh\n"
        f"export PYTHONPATH={shlex.quote(python_path)}\n"
        f'exec {shlex.quote(sys.executable)} -m {plugin_source.name}.main "$@"\n'
    )
    launcher.chmod(0o755)


@dataclass
class Host:
    manager: PluginManager
    report: LoadReport
    public: PublicGrpcServer
    alice: CharacterInfo
    session_id: str

    def request(self, command: str, args: str = "") -> CommandRequest:
        return CommandRequest(
            command=command,
            args=args,
            character_id=self.alice.id,
            character_name=self.alice.name,
            location_id=self.alice.location_id,
            session_id=self.session_id,
            player_id=self.alice.player_id,
            invoked_as=command,
        )


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def host(
    postgres_server: PostgresTestServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Host]:
    source_dir = tmp_path_factory.mktemp("source")
    plugins_dir = tmp_path_factory.mktemp("plugins")
    for name, options in PLUGINS.items():
        install(plugin_new(source_dir, name, options), plugins_dir)
    with fresh_database(postgres_server, "scaffold_plugins") as dsn:
        data = await HostData.open(dsn, min_connections=1, max_connections=4)
        manager = PluginManager(PluginManagerConfig(plugins_dir, database_url=dsn), data)
        try:
            report = await manager.start()
            public = manager.public_server()
            await public.start()
            alice = await data.world.create_guest_character()
            session = await data.sessions.create_session(alice.id)
            yield Host(manager, report, public, alice, session.id)
            await public.stop()
        finally:
            await manager.stop()
            await data.close()


pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_every_generated_plugin_loads(host: Host) -> None:
    assert host.report.ok, str(host.report)
    assert sorted(host.report.loaded) == sorted(PLUGINS)
    for name in PLUGINS:
        status = host.report.status(name)
        assert status is not None
        assert status.outcome is LoadOutcome.LOADED
        assert status.warnings == (), status.warnings  # e.g. a command nobody may execute


async def test_plain_plugin_answers_its_command(host: Host) -> None:
    reply = await host.manager.handle_command("hello-world", host.request("hello-world", "Bob"))
    assert (reply.status, reply.output) == (CommandStatus.OK, "Hello, Bob!")


async def test_postgres_plugin_counts_in_its_provisioned_schema(host: Host) -> None:
    outputs = [
        (await host.manager.handle_command("guest-book", host.request("guest-book"))).output
        for _ in range(2)
    ]
    name = host.alice.name
    assert outputs == [
        f"Hello, {name}! (greeting number 1 from you)",
        f"Hello, {name}! (greeting number 2 from you)",
    ]


async def test_provided_service_is_reachable_through_the_host(host: Host) -> None:
    async with grpc.aio.insecure_channel(host.public.target) as channel:
        scenes = scene_pb2_grpc.SceneServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await scenes.GetScene(
                scene_pb2.GetSceneRequest(character_id=host.alice.id, scene_id="s1"), timeout=10
            )
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert caught.value.details() == "GetScene is not implemented yet"
    reply = await host.manager.handle_command("scenery", host.request("scenery"))
    assert reply.output == f"Hello, {host.alice.name}!"
