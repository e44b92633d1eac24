"""The PluginService adapter, served by a real in-process gRPC server with the SDK's
interceptors; the go-plugin broker is replaced by a map of broker IDs to local servers."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from holomush.plugin.v1 import plugin_pb2, plugin_pb2_grpc
from holomush.world.v1 import world_pb2, world_pb2_grpc
from holomush_sdk import (
    PLUGIN_HOST_SERVICE_NAME,
    Actor,
    ActorKind,
    CommandRequest,
    CommandResponse,
    EmitEvent,
    EmitIntent,
    Event,
    EventSink,
    FocusClient,
    PluginError,
    ServeConfig,
    ServiceConfig,
    audit,
    current_actor,
    ok,
    with_actor_metadata,
)
from holomush_sdk.serving import plugin_services
from holomush_sdk.tests.fake_host import FakePluginHost, add_fake_host
from holomush_sdk.tests.grpc_helpers import AddressBroker, serving

WORLD = "holomush.world.v1.WorldService"


def command(**overrides: str) -> plugin_pb2.HandleCommandRequest:
    fields = dict(
        command="greet",
        args="",
        raw_input="gr",
        character_id="c1",
        character_name="Alice",
        location_id="l1",
        session_id="s1",
        player_id="p1",
    )
    fields.update(overrides)
    return plugin_pb2.HandleCommandRequest(command=plugin_pb2.CommandRequest(**fields))


def event(**overrides: Any) -> plugin_pb2.HandleEventRequest:
    fields: dict[str, Any] = dict(
        id="01E",
        stream="location:1",
        type="say",
        timestamp=5,
        actor_kind="character",
        actor_id="c1",
        payload='{"message":"hi"}',
    )
    fields.update(overrides)
    return plugin_pb2.HandleEventRequest(event=plugin_pb2.Event(**fields))


class FakeWorld(world_pb2_grpc.WorldServiceServicer):
    async def GetLocation(self, request, context):
        return world_pb2.GetLocationResponse(
            location=world_pb2.LocationInfo(id=request.location_id, name="The Square")
        )


@contextlib.asynccontextmanager
async def plugin(
    handler: Any, provider: Any = None
) -> AsyncIterator[tuple[Any, FakePluginHost, AddressBroker]]:
    """Serve `handler` / `provider` the way `serve_with_services` does; yield a stub."""
    fake_host = FakePluginHost()

    def add_world(server):
        world_pb2_grpc.add_WorldServiceServicer_to_server(FakeWorld(), server)  # type: ignore[abstract]

    async with (
        serving(add_fake_host(fake_host)) as host_address,
        serving(add_world) as world_address,
    ):
        broker = AddressBroker({1: host_address, 2: world_address})
        register = plugin_services(ServeConfig(handler=handler, plugin_name="fixture"), provider)
        server = grpc.aio.server()
        await register(server, broker)  # type: ignore[arg-type]
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                yield plugin_pb2_grpc.PluginServiceStub(channel), fake_host, broker
        finally:
            await server.stop(None)
            await broker.close()


INIT = plugin_pb2.InitRequest(
    config=plugin_pb2.ServiceConfig(
        connection_string="postgres://x/db?search_path=plugin_fixture",
        required_services={PLUGIN_HOST_SERVICE_NAME: "broker:1", WORLD: "broker:2"},
    )
)


# --- HandleEvent ------------------------------------------------------------------------


class AsyncEcho:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.actor: Actor | None = None

    async def handle_event(self, event: Event) -> list[EmitEvent]:
        self.events.append(event)
        self.actor = current_actor()
        return [EmitEvent(event.stream, "say", '{"message":"Echo"}')]


class SyncEcho:
    def __init__(self) -> None:
        self.thread: int | None = None

    def handle_event(self, event: Event) -> None:
        self.thread = threading.get_ident()


async def test_handle_event_async_handler_returns_emits_and_sees_actor():
    handler = AsyncEcho()
    async with plugin(handler) as (stub, _, _):
        metadata = with_actor_metadata(None, Actor(ActorKind.CHARACTER, "c1"))
        reply = await stub.HandleEvent(event(), metadata=metadata)
    assert [(e.stream, e.type, e.payload) for e in reply.emit_events] == [
        ("location:1", "say", '{"message":"Echo"}')
    ]
    assert handler.events[0].actor_kind is ActorKind.CHARACTER
    assert handler.events[0].payload == '{"message":"hi"}'
    assert handler.actor == Actor(ActorKind.CHARACTER, "c1")


async def test_plain_def_handler_runs_off_the_event_loop():
    handler = SyncEcho()
    async with plugin(handler) as (stub, _, _):
        reply = await stub.HandleEvent(event())
    assert list(reply.emit_events) == []
    assert handler.thread is not None
    assert handler.thread != threading.get_ident()


class BadReturn:
    def handle_event(self, event: Event) -> Any:
        return {"not": "a list"}


class CodedFailure:
    async def handle_event(self, event: Event) -> None:
        raise PluginError("no echo today", code="ECHO_DISABLED", status=grpc.StatusCode.UNAVAILABLE)


class Crash:
    async def handle_event(self, event: Event) -> None:
        raise KeyError("boom")


@pytest.mark.parametrize(
    ("handler", "code", "details"),
    [
        (
            BadReturn(),
            grpc.StatusCode.UNKNOWN,
            "handle event failed: TypeError: handle_event must return a list of EmitEvent or None",
        ),
        (CodedFailure(), grpc.StatusCode.UNAVAILABLE, "ECHO_DISABLED: no echo today"),
        (Crash(), grpc.StatusCode.UNKNOWN, "handle event failed: KeyError: 'boom'"),
    ],
)
async def test_handle_event_errors_become_grpc_statuses(handler, code, details):
    async with plugin(handler) as (stub, _, _):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.HandleEvent(event())
    assert (caught.value.code(), caught.value.details()) == (code, details)


async def test_invalid_event_is_rejected_before_the_handler():
    handler = AsyncEcho()
    async with plugin(handler) as (stub, _, _):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.HandleEvent(event(actor_id=""))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == (
        "request validation failed: event.actor_id: value length must be at least 1 characters"
    )
    assert handler.events == []


# --- HandleCommand ----------------------------------------------------------------------


class EventsOnly:
    async def handle_event(self, event: Event) -> None:
        return None


class Greeter(EventsOnly):
    def __init__(self) -> None:
        self.requests: list[CommandRequest] = []
        self.sink: EventSink | None = None

    def set_event_sink(self, sink: EventSink) -> None:
        self.sink = sink

    async def handle_command(self, request: CommandRequest) -> CommandResponse | None:
        self.requests.append(request)
        if request.args == "none":
            return None
        if request.args == "wrong":
            return "hello"  # type: ignore[return-value]
        if request.args == "emit":
            assert self.sink is not None
            await self.sink.emit(EmitIntent("scene:1", "greeted", "{}"))
        audit().deny("greet-denied", "context hint", {"k": "v"})
        response = ok(f"Hello, {request.character_name}!")
        response.events.append(EmitEvent("character:c1", "greeted", "{}"))
        return response


async def test_handle_command_without_command_handler_gives_empty_response():
    async with plugin(EventsOnly()) as (stub, _, _):
        reply = await stub.HandleCommand(command())
    assert reply.response == plugin_pb2.CommandResponse()
    assert reply.response.status == plugin_pb2.COMMAND_STATUS_UNSPECIFIED


async def test_handle_command_round_trip_with_audit_hints():
    greeter = Greeter()
    async with plugin(greeter) as (stub, _, _):
        reply = await stub.HandleCommand(command())
    assert greeter.requests == [
        CommandRequest("greet", "", "c1", "Alice", "l1", "s1", "p1", invoked_as="gr")
    ]
    response = reply.response
    assert response.status == plugin_pb2.COMMAND_STATUS_OK
    assert response.output == "Hello, Alice!"
    assert [(e.stream, e.type) for e in response.events] == [("character:c1", "greeted")]
    assert [(h.id, h.effect, dict(h.attributes)) for h in response.audit_hints] == [
        ("greet-denied", plugin_pb2.AUDIT_EFFECT_DENY, {"k": "v"})
    ]


class SyncCommands(EventsOnly):
    """A plain-def command handler: runs in a worker thread, audit() still works there."""

    def __init__(self) -> None:
        self.thread: int | None = None

    def handle_command(self, request: CommandRequest) -> CommandResponse:
        self.thread = threading.get_ident()
        audit().allow("sync-allowed", "from a thread")
        return ok("sync")


async def test_plain_def_command_handler_runs_off_loop_and_records_audit_hints():
    handler = SyncCommands()
    async with plugin(handler) as (stub, _, _):
        reply = await stub.HandleCommand(command())
    assert handler.thread not in (None, threading.get_ident())
    assert reply.response.output == "sync"
    assert [h.id for h in reply.response.audit_hints] == ["sync-allowed"]


async def test_handle_command_none_and_wrong_type():
    async with plugin(Greeter()) as (stub, _, _):
        reply = await stub.HandleCommand(command(args="none"))
        assert reply.response.status == plugin_pb2.COMMAND_STATUS_OK
        assert reply.response.output == ""
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.HandleCommand(command(args="wrong"))
    assert caught.value.details() == (
        "handle command failed: TypeError: handle_command must return a CommandResponse or None, got str"
    )


async def test_event_sink_inside_a_command_forwards_the_invoking_actor():
    greeter = Greeter()
    async with plugin(greeter, None) as (stub, fake_host, _):
        await stub.Init(INIT)
        metadata = with_actor_metadata(None, Actor(ActorKind.CHARACTER, "c1"))
        await stub.HandleCommand(command(args="emit"), metadata=metadata)
    assert [(e.stream, e.actor) for e in fake_host.state.emitted] == [
        ("scene:1", Actor(ActorKind.CHARACTER, "c1"))
    ]


# --- Init -------------------------------------------------------------------------------


class Provider(EventsOnly):
    """A ServiceProvider that is EventSinkAware and FocusClientAware, recording the order."""

    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.config: ServiceConfig | None = None
        self.location: str | None = None
        self.fail = fail

    def register_services(self, registrar: grpc.aio.Server) -> None:
        self.calls.append("register_services")

    def set_event_sink(self, sink: EventSink) -> None:
        self.calls.append("set_event_sink")
        self.sink = sink

    def set_focus_client(self, client: FocusClient) -> None:
        self.calls.append("set_focus_client")
        self.focus = client

    async def init(self, config: ServiceConfig) -> None:
        self.calls.append("init")
        self.config = config
        if self.fail:
            raise PluginError("connection_string is required", code="SCENE_INIT_FAILED")
        # The guide's WorldService example: a typed client through the broker.
        world = await config.services.dial(WORLD, world_pb2_grpc.WorldServiceStub)
        reply = await world.GetLocation(
            world_pb2.GetLocationRequest(subject_id="c", location_id="L1")
        )
        self.location = reply.location.name
        # Emitting during init works: the sink was injected first.
        await self.sink.emit(EmitIntent("fixture:init", "ready", "{}"))


async def test_init_injects_sink_then_focus_then_calls_init_with_one_host_connection():
    provider = Provider()
    async with plugin(provider, provider) as (stub, fake_host, broker):
        assert provider.calls == ["register_services"]  # before Init, at server setup
        assert await stub.Init(INIT) == plugin_pb2.InitResponse()
    assert provider.calls == ["register_services", "set_event_sink", "set_focus_client", "init"]
    assert provider.config is not None
    assert provider.config.connection_string == "postgres://x/db?search_path=plugin_fixture"
    assert provider.config.required_services == dict(INIT.config.required_services)
    assert provider.location == "The Square"
    assert [e.stream for e in fake_host.state.emitted] == ["fixture:init"]
    assert sorted(broker.dials) == [1, 2]  # each service dialled exactly once


async def test_init_failure_carries_the_code():
    provider = Provider(fail=True)
    async with plugin(provider, provider) as (stub, _, _):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Init(INIT)
    assert caught.value.code() is grpc.StatusCode.UNKNOWN
    assert caught.value.details() == "SCENE_INIT_FAILED: connection_string is required"


@pytest.mark.parametrize(
    ("required", "details"),
    [
        (
            {WORLD: "broker:2"},
            'service "holomush.plugin.v1.PluginHostService" not found in required services',
        ),
        (
            {PLUGIN_HOST_SERVICE_NAME: "tcp:1"},
            'service "holomush.plugin.v1.PluginHostService": expected "broker:" prefix, got "tcp:1"',
        ),
    ],
)
async def test_init_reports_unusable_required_services(required, details):
    provider = Provider()
    request = plugin_pb2.InitRequest(config=plugin_pb2.ServiceConfig(required_services=required))
    async with plugin(provider, provider) as (stub, _, _):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Init(request)
    assert caught.value.details() == details
    assert "init" not in provider.calls


class HandlerWithInit(EventsOnly):
    def __init__(self) -> None:
        self.config: ServiceConfig | None = None

    def init(self, config: ServiceConfig) -> None:
        self.config = config


async def test_handler_only_plugin_gets_init_and_an_empty_config_is_fine():
    handler = HandlerWithInit()
    async with plugin(handler) as (stub, _, _):
        await stub.Init(plugin_pb2.InitRequest())
    assert handler.config is not None
    assert handler.config.connection_string == ""
    assert handler.config.required_services == {}


# --- QuerySessionStreams ----------------------------------------------------------------


class Streams(EventsOnly):
    async def query_session_streams(self, character_id, player_id, session_id):
        if character_id == "bad":
            raise PluginError("lookup failed", code="STREAMS_FAILED")
        return [f"mail:{character_id}"]


async def test_query_session_streams():
    async with plugin(Streams()) as (stub, _, _):
        reply = await stub.QuerySessionStreams(
            plugin_pb2.QuerySessionStreamsRequest(character_id="c1", player_id="p", session_id="s")
        )
        assert list(reply.streams) == ["mail:c1"]
        assert reply.error == ""
        failed = await stub.QuerySessionStreams(
            plugin_pb2.QuerySessionStreamsRequest(character_id="bad")
        )
        assert failed.error == "STREAMS_FAILED: lookup failed"
        assert list(failed.streams) == []
    async with plugin(EventsOnly()) as (stub, _, _):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.QuerySessionStreams(plugin_pb2.QuerySessionStreamsRequest())
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
