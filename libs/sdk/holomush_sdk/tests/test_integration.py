"""End to end: the fixture plugin runs as a real child process over the go-plugin
transport (mTLS, broker); the test plays the host, serving a fake PluginHostService on
broker ID 1 and a WorldService on broker ID 2."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
import pytest_asyncio

from holomush.plugin.v1 import plugin_pb2, plugin_pb2_grpc
from holomush.scene.v1 import scene_pb2, scene_pb2_grpc
from holomush.world.v1 import world_pb2, world_pb2_grpc
from holomush_sdk import PLUGIN_HOST_SERVICE_NAME, Actor, ActorKind, with_actor_metadata
from holomush_sdk.goplugin.client import PluginClient, PluginCommand, start_plugin
from holomush_sdk.goplugin.tls import TransportSecurity
from holomush_sdk.tests.fake_host import FakePluginHost, add_fake_host

pytestmark = pytest.mark.asyncio(loop_scope="module")

WORLD = "holomush.world.v1.WorldService"
DSN = "postgres://u:p@localhost/db?search_path=plugin_fixture"


class World(world_pb2_grpc.WorldServiceServicer):
    async def GetLocation(self, request: Any, context: Any) -> world_pb2.GetLocationResponse:
        return world_pb2.GetLocationResponse(
            location=world_pb2.LocationInfo(id=request.location_id, name="The Square")
        )


def plugin_command() -> PluginCommand:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEX_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return PluginCommand(
        argv=[sys.executable, "-m", "holomush_sdk.tests.fixtures.fixture_plugin"],
        env=env,
        inherit_env=False,
    )


@dataclass
class Running:
    client: PluginClient
    host: FakePluginHost
    plugin: plugin_pb2_grpc.PluginServiceAsyncStub


async def start(connection_string: str) -> tuple[Running, Any]:
    """Start the plugin, serve the host side on the broker, send Init; return Init's outcome."""
    client = await start_plugin(
        "fixture", plugin_command(), tls=TransportSecurity.mtls(), start_timeout=30
    )
    host = FakePluginHost()
    host.state.sessions.add("s1")
    await client.broker.accept_and_serve(1, add_fake_host(host))
    await client.broker.accept_and_serve(
        2,
        lambda server: world_pb2_grpc.add_WorldServiceServicer_to_server(World(), server),  # type: ignore[abstract]
    )
    plugin = plugin_pb2_grpc.PluginServiceStub(client.channel)
    init = plugin_pb2.InitRequest(
        config=plugin_pb2.ServiceConfig(
            connection_string=connection_string,
            required_services={PLUGIN_HOST_SERVICE_NAME: "broker:1", WORLD: "broker:2"},
        )
    )
    try:
        outcome: Any = await plugin.Init(init, timeout=15)
    except grpc.aio.AioRpcError as err:
        outcome = err
    return Running(client, host, plugin), outcome


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def running() -> AsyncIterator[Running]:
    state, outcome = await start(DSN)
    try:
        assert outcome == plugin_pb2.InitResponse(), outcome
        yield state
    finally:
        await state.client.kill()


def command(args: str, **overrides: str) -> plugin_pb2.HandleCommandRequest:
    fields = dict(
        command="fx",
        args=args,
        raw_input="fx",
        character_id="char-1",
        character_name="Alice",
        location_id="loc-1",
        session_id="s1",
        player_id="player-1",
    )
    fields.update(overrides)
    return plugin_pb2.HandleCommandRequest(command=plugin_pb2.CommandRequest(**fields))


ALICE = with_actor_metadata(None, Actor(ActorKind.CHARACTER, "char-1"))


async def test_init_injected_the_sink_before_init_ran(running: Running) -> None:
    ready = [e for e in running.host.state.emitted if e.stream == "fixture:init"]
    assert len(ready) == 1
    assert json.loads(ready[0].payload) == {"dsn": DSN}
    assert ready[0].actor is None  # no caller actor during Init: the host stamps the plugin


async def test_handle_command_round_trip(running: Running) -> None:
    reply = await running.plugin.HandleCommand(command("greet"), timeout=10)
    assert reply.response.status == plugin_pb2.COMMAND_STATUS_OK
    assert reply.response.output == "Hello, Alice!"
    assert [(h.id, h.effect) for h in reply.response.audit_hints] == [
        ("fixture-greet", plugin_pb2.AUDIT_EFFECT_ALLOW)
    ]
    unknown = await running.plugin.HandleCommand(command("dance"), timeout=10)
    assert unknown.response.status == plugin_pb2.COMMAND_STATUS_ERROR
    assert unknown.response.output == "unknown subcommand: dance"


async def test_emits_reach_the_host_with_the_invoking_actor(running: Running) -> None:
    reply = await running.plugin.HandleCommand(
        command("emit fixture:room-9"), metadata=ALICE, timeout=10
    )
    assert reply.response.output == "emitted"
    emitted = [e for e in running.host.state.emitted if e.stream == "fixture:room-9"]
    assert len(emitted) == 1
    assert emitted[0].event_type == "fixture_emitted"
    assert json.loads(emitted[0].payload) == {"by": "char-1"}
    assert emitted[0].actor == Actor(ActorKind.CHARACTER, "char-1")


async def test_focus_errors_arrive_as_codes(running: Running) -> None:
    async def run(args: str, session: str = "s1") -> tuple[int, str]:
        reply = await running.plugin.HandleCommand(command(args, session_id=session), timeout=10)
        return reply.response.status, reply.response.output

    OK, ERROR = plugin_pb2.COMMAND_STATUS_OK, plugin_pb2.COMMAND_STATUS_ERROR
    assert await run("present 01SCENE") == (ERROR, "focus failed: FOCUS_NOT_MEMBER")
    assert await run("join 01SCENE") == (OK, "join 01SCENE")
    assert await run("join 01SCENE") == (ERROR, "focus failed: FOCUS_ALREADY_MEMBER")
    assert await run("join-idem 01SCENE") == (OK, "join-idem 01SCENE")
    assert await run("present 01SCENE") == (OK, "present 01SCENE")
    assert await run("join 01OTHER", session="ghost") == (ERROR, "focus failed: SESSION_NOT_FOUND")
    assert await run("leave 01SCENE") == (OK, "leave 01SCENE")
    assert running.host.state.memberships["s1"] == []


async def test_required_world_service_is_dialled_through_the_broker(running: Running) -> None:
    reply = await running.plugin.HandleCommand(command("where"), timeout=10)
    assert reply.response.output == "You are in The Square."


async def test_kv_and_history_through_the_host(running: Running) -> None:
    reply = await running.plugin.HandleCommand(command("kv colour=blue"), timeout=10)
    assert reply.response.output == "colour=blue"
    assert running.host.state.kv == {"colour": "blue"}
    running.host.state.history["scene:1:ic"] = [
        plugin_pb2.Event(
            id=f"0{i}", stream="scene:1:ic", type="pose", actor_kind="character", actor_id="c"
        )
        for i in range(3)
    ]
    history = await running.plugin.HandleCommand(command("history scene:1:ic"), timeout=10)
    assert history.response.output == "01,02"


async def test_plain_def_event_handler_runs_off_the_main_thread(running: Running) -> None:
    request = plugin_pb2.HandleEventRequest(
        event=plugin_pb2.Event(
            id="01E",
            stream="location:1",
            type="say",
            timestamp=1,
            actor_kind="character",
            actor_id="char-1",
            payload='{"message":"hi"}',
        )
    )
    reply = await running.plugin.HandleEvent(request, timeout=10)
    assert [(e.stream, e.type) for e in reply.emit_events] == [("location:1", "echo")]
    assert json.loads(reply.emit_events[0].payload) == {"echo": "hi", "on_main_thread": False}


async def test_validation_rejects_a_bad_request(running: Running) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.plugin.HandleCommand(command("greet", location_id=""), timeout=10)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == (
        "request validation failed: command.location_id: value length must be at least 1 characters"
    )


async def test_provided_service_is_validated_and_sees_the_caller_actor(running: Running) -> None:
    scenes = scene_pb2_grpc.SceneServiceStub(running.client.channel)
    reply = await scenes.GetScene(
        scene_pb2.GetSceneRequest(character_id="char-1", scene_id="sc-7"),
        metadata=ALICE,
        timeout=10,
    )
    assert (reply.scene.id, reply.scene.owner_id) == ("sc-7", "char-1")
    viewed = [e for e in running.host.state.emitted if e.stream == "fixture:sc-7"]
    assert [e.actor for e in viewed] == [Actor(ActorKind.CHARACTER, "char-1")]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await scenes.GetScene(scene_pb2.GetSceneRequest(character_id="char-1"), timeout=10)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == (
        "request validation failed: scene_id: value length must be at least 1 characters"
    )


async def test_init_failure_reaches_the_host_with_its_code() -> None:
    state, outcome = await start("fail")
    try:
        assert isinstance(outcome, grpc.aio.AioRpcError)
        assert outcome.code() is grpc.StatusCode.UNKNOWN
        assert outcome.details() == "FIXTURE_INIT_FAILED: connection_string is required"
    finally:
        await state.client.kill()
