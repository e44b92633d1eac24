"""A generated plugin works as generated: its own tests pass, and it runs as a real plugin
process over go-plugin gRPC with mTLS, PostgreSQL storage and provided services included."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest

from holomush.plugin.v1 import plugin_pb2, plugin_pb2_grpc
from holomush.scene.v1 import scene_pb2, scene_pb2_grpc
from holomush_host.scaffold import new_plugin
from holomush_host.scaffold.tests.helpers import (
    command_request,
    run_generated_tests,
    running_plugin,
)
from holomush_host.storage.provisioner import SchemaProvisioner

SCENES = "holomush.scene.v1.SceneService"


@pytest.mark.parametrize("storage", ["none", "postgres"])
def test_the_generated_unit_tests_pass(tmp_path: Path, storage: str) -> None:
    plugin_dir = new_plugin("hello-world", tmp_path, storage=storage)  # type: ignore[arg-type]
    result = run_generated_tests(plugin_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_the_generated_unit_tests_can_fail(tmp_path: Path) -> None:
    plugin_dir = new_plugin("hello-world", tmp_path)
    plugin = plugin_dir / "hello_world/plugin.py"
    plugin.write_text(plugin.read_text().replace('f"Hello, {who}!"', 'f"Bye, {who}!"'))
    result = run_generated_tests(plugin_dir)
    assert result.returncode == 1
    assert "2 failed, 1 passed" in result.stdout


async def test_runs_as_a_plugin_and_answers_its_command(tmp_path: Path) -> None:
    plugin_dir = new_plugin("hello-world", tmp_path)
    async with running_plugin(plugin_dir, "hello-world") as client:
        stub = plugin_pb2_grpc.PluginServiceStub(client.channel)
        await stub.Init(plugin_pb2.InitRequest(config=plugin_pb2.ServiceConfig()), timeout=10)
        reply = await stub.HandleCommand(command_request("hello-world", "Bob"), timeout=10)
        assert reply.response.status == plugin_pb2.COMMAND_STATUS_OK
        assert reply.response.output == "Hello, Bob!"
        other = await stub.HandleCommand(command_request("dance"), timeout=10)
        assert other.response.status == plugin_pb2.COMMAND_STATUS_ERROR
        assert other.response.output == 'hello-world does not handle command "dance"'
    assert await asyncio.wait_for(client.wait_exit(), 10) == 0


async def test_postgres_plugin_migrates_its_schema_and_counts(
    tmp_path: Path, postgres_dsn: str
) -> None:
    plugin_dir = new_plugin("scaffold-counter", tmp_path, storage="postgres")
    async with SchemaProvisioner(postgres_dsn) as provisioner:
        storage = await provisioner.provision("scaffold-counter")
    async with running_plugin(plugin_dir, "scaffold-counter") as client:
        stub = plugin_pb2_grpc.PluginServiceStub(client.channel)
        config = plugin_pb2.ServiceConfig(connection_string=storage.dsn)
        await stub.Init(plugin_pb2.InitRequest(config=config), timeout=30)
        outputs = [
            (await stub.HandleCommand(command_request("scaffold-counter"), timeout=10)).response
            for _ in range(2)
        ]
    assert [(r.status, r.output) for r in outputs] == [
        (plugin_pb2.COMMAND_STATUS_OK, "Hello, Alice! (greeting number 1 from you)"),
        (plugin_pb2.COMMAND_STATUS_OK, "Hello, Alice! (greeting number 2 from you)"),
    ]


async def test_postgres_plugin_without_a_dsn_fails_init_with_its_code(tmp_path: Path) -> None:
    plugin_dir = new_plugin("scaffold-nodb", tmp_path, storage="postgres")
    async with running_plugin(plugin_dir, "scaffold-nodb") as client:
        stub = plugin_pb2_grpc.PluginServiceStub(client.channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Init(plugin_pb2.InitRequest(config=plugin_pb2.ServiceConfig()), timeout=10)
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert caught.value.details() == (
        "SCAFFOLD_NODB_INIT_FAILED: connection_string is required: "
        "declare storage: postgres in plugin.yaml"
    )


async def test_provided_service_is_served_on_the_plugin_transport(tmp_path: Path) -> None:
    plugin_dir = new_plugin("scenery", tmp_path, provides=[SCENES])
    async with running_plugin(plugin_dir, "scenery") as client:
        plugin = plugin_pb2_grpc.PluginServiceStub(client.channel)
        await plugin.Init(plugin_pb2.InitRequest(config=plugin_pb2.ServiceConfig()), timeout=10)
        scenes = scene_pb2_grpc.SceneServiceStub(client.channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await scenes.GetScene(
                scene_pb2.GetSceneRequest(character_id="c1", scene_id="s1"), timeout=10
            )
        reply = await plugin.HandleCommand(command_request("scenery"), timeout=10)
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert caught.value.details() == "GetScene is not implemented yet"
    assert reply.response.output == "Hello, Alice!"
