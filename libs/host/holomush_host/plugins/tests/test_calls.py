"""Commands, required services through the broker, and the public gRPC port."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import grpc
import grpc.aio
import pytest
import pytest_asyncio

from holomush.plugin.v1 import hostfunc_pb2, hostfunc_pb2_grpc, plugin_pb2, plugin_pb2_grpc
from holomush.scene.v1 import scene_pb2, scene_pb2_grpc
from holomush.world.v1 import world_pb2, world_pb2_grpc
from holomush_host.data.event_types import Actor, ActorKind
from holomush_host.data.ids import new_ulid
from holomush_host.plugins.errors import PluginCallError
from holomush_host.plugins.tests.conftest import System
from holomush_sdk import CommandStatus, with_actor_metadata

pytestmark = pytest.mark.asyncio(loop_scope="package")


@pytest_asyncio.fixture(loop_scope="package")
async def public(system: System) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(system.public.target) as channel:
        yield channel


async def test_command_output_and_status(system: System) -> None:
    reply = await system.run("zeta", "bogus")
    assert reply.status is CommandStatus.ERROR
    assert reply.output == "unknown subcommand: bogus"


async def test_command_response_events_are_appended_for_the_invoker(system: System) -> None:
    stream = f"fx:respond-{new_ulid()}"
    reply = await system.run("zeta", f"respond {stream}")
    assert (reply.status, reply.output, reply.events) == (CommandStatus.OK, "responded", [])
    [event] = await system.data.events.tail(stream, 10)
    assert event.type == "fx_response"
    assert event.actor == Actor(ActorKind.CHARACTER, system.alice.id)


async def test_command_response_events_outside_emits_are_dropped(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    stream = f"location:{system.alice.location_id}"
    before = await system.data.events.tail(stream, 500)
    with caplog.at_level(logging.ERROR, logger="holomush_host.plugins.manager"):
        reply = await system.run("zeta", f"respond {stream}")
    assert reply.output == "responded"
    assert [e for e in await system.data.events.tail(stream, 500) if e.type == "fx_response"] == [
        e for e in before if e.type == "fx_response"
    ]
    assert any("plugin may not emit to namespace" in r.getMessage() for r in caplog.records)


async def test_fatal_status_becomes_a_clear_error(system: System) -> None:
    with pytest.raises(PluginCallError) as caught:
        await system.run("zeta", "fatal")
    assert caught.value.message == (
        "zeta could not complete that command; the problem has been logged."
    )
    assert "internal state is corrupt" in caught.value.detail


async def test_a_hanging_handler_times_out_with_a_clear_error(system: System) -> None:
    with pytest.raises(PluginCallError) as caught:
        await system.manager.handle_command("zeta", system.request("hang"), timeout=1.0)
    assert caught.value.message == "zeta did not answer in time; try again in a moment."
    assert "within 1 s" in caught.value.detail
    assert (await system.run("zeta", "bogus")).status is CommandStatus.ERROR  # still usable


async def test_command_requests_are_validated_like_rpcs(system: System) -> None:
    with pytest.raises(PluginCallError) as caught:
        await system.run("zeta", "init", location_id="")
    assert caught.value.message == "zeta cannot take that command."
    assert "command.location_id: value length must be at least 1" in caught.value.detail
    with pytest.raises(PluginCallError) as caught:
        await system.run("zeta", "x" * 8193)
    assert caught.value.message == "That command is too long (at most 8192 characters)."


async def test_required_world_service_through_the_broker(system: System) -> None:
    assert (await system.run("zeta", f"world {system.alice.location_id}")).output == "The Nexus"
    missing = await system.run("zeta", f"world {new_ulid()}")
    assert missing.output == "error NOT_FOUND not found"
    malformed = await system.run("zeta", "world not-a-ulid")
    assert malformed.output.startswith("error INVALID_ARGUMENT invalid location_id: ")


async def test_another_plugins_service_through_the_broker(system: System) -> None:
    # alpha calls zeta's SceneService on alice's behalf: the host vouches for the actor
    # because alpha is handling alice's command.
    reply = json.loads((await system.run("alpha", "scene s7")).output)
    assert reply == {"title": "s7 from zeta", "owner": f"character:{system.alice.id}"}
    assert (await system.run("alpha", "scene missing")).output == (
        "error NOT_FOUND SCENE_NOT_FOUND: no such scene"
    )


async def test_external_call_to_a_provided_service(
    system: System, public: grpc.aio.Channel
) -> None:
    scenes = scene_pb2_grpc.SceneServiceStub(public)
    # An external caller cannot claim an actor: the header is dropped on the way in.
    claimed = with_actor_metadata(None, Actor(ActorKind.CHARACTER, "someone"))
    reply = await scenes.GetScene(
        scene_pb2.GetSceneRequest(character_id="c1", scene_id="s1"), metadata=claimed, timeout=10
    )
    assert (reply.scene.title, reply.scene.owner_id) == ("s1 from zeta", "")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await scenes.GetScene(scene_pb2.GetSceneRequest(scene_id="missing"), timeout=10)
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == "SCENE_NOT_FOUND: no such scene"


async def test_public_port_serves_world_service(system: System, public: grpc.aio.Channel) -> None:
    world = world_pb2_grpc.WorldServiceStub(public)
    reply = await world.GetLocation(
        world_pb2.GetLocationRequest(
            subject_id=system.alice.id, location_id=system.alice.location_id
        ),
        timeout=10,
    )
    assert reply.location.name == "The Nexus"


async def test_public_port_refuses_unknown_and_internal_services(public: grpc.aio.Channel) -> None:
    unknown = hostfunc_pb2_grpc.HostFunctionsServiceStub(public)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await unknown.Log(hostfunc_pb2.LogRequest(message="x"), timeout=10)
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert caught.value.details() == "unknown service holomush.plugin.v1.HostFunctionsService"
    internal = plugin_pb2_grpc.PluginHostServiceStub(public)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await internal.Log(plugin_pb2.PluginHostServiceLogRequest(level="info"), timeout=10)
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
    assert caught.value.details() == (
        "service holomush.plugin.v1.PluginHostService is server-internal"
    )
