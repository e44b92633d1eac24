"""The generic proxy relays every call shape, status and metadata through real gRPC."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import grpc.aio
import pytest
import pytest_asyncio

from holomush_host.services.grpc_proxy import GrpcForwarder, split_method
from holomush_host.services.service_registry import (
    SERVICE_ALREADY_REGISTERED,
    ServiceRegistry,
    ServiceRegistryError,
    ServiceRouteError,
)


@dataclass
class Upstream:
    """A raw-bytes service ``t.Echo`` that records what reached it."""

    metadata: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[float | None] = field(default_factory=list)
    slow_started: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)

    def handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        upstream = self

        async def unary(request: bytes, context: Any) -> bytes:
            upstream.metadata.append(dict(context.invocation_metadata()))
            upstream.deadlines.append(context.time_remaining())
            await context.send_initial_metadata((("x-initial", "hello"),))
            context.set_trailing_metadata((("x-trailing", "bye"),))
            return b"echo:" + request

        async def server_stream(request: bytes, context: Any) -> AsyncIterator[bytes]:
            for index in range(3):
                yield request + str(index).encode()

        async def client_stream(requests: AsyncIterator[bytes], context: Any) -> bytes:
            return b"+".join([message async for message in requests])

        async def bidi(requests: AsyncIterator[bytes], context: Any) -> AsyncIterator[bytes]:
            async for message in requests:
                yield message.upper()

        async def fail(request: bytes, context: Any) -> bytes:
            context.set_trailing_metadata((("x-reason", "tested"),))
            await context.abort(grpc.StatusCode.NOT_FOUND, "WIDGET_NOT_FOUND: no widget")
            raise AssertionError("abort() raises")

        async def slow(request: bytes, context: Any) -> bytes:
            upstream.slow_started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                upstream.cancelled.set()
                raise
            return b""

        handlers = {
            "/t.Echo/Unary": grpc.unary_unary_rpc_method_handler(unary),
            "/t.Echo/ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
            "/t.Echo/ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
            "/t.Echo/Bidi": grpc.stream_stream_rpc_method_handler(bidi),
            "/t.Echo/Fail": grpc.unary_unary_rpc_method_handler(fail),
            "/t.Echo/Slow": grpc.unary_unary_rpc_method_handler(slow),
        }

        class Handler(grpc.GenericRpcHandler):  # type: ignore[type-arg]
            def service(self, details: grpc.HandlerCallDetails) -> Any:
                return handlers.get(details.method)  # type: ignore[attr-defined]

        return Handler()


@dataclass
class Proxy:
    upstream: Upstream
    channel: Any
    """The caller's channel, used without (de)serializers: messages are bytes."""
    registry: ServiceRegistry
    upstream_channel: grpc.aio.Channel


async def _serve(handler: grpc.GenericRpcHandler[Any, Any]) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server()
    server.add_generic_rpc_handlers([handler])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"


class _Channels:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.channel = channel
        self.down = False

    def channel_of(self, plugin: str) -> grpc.aio.Channel:
        if self.down:
            raise ServiceRouteError(grpc.StatusCode.UNAVAILABLE, f"{plugin} is restarting")
        return self.channel


@pytest_asyncio.fixture
async def proxy() -> AsyncIterator[Proxy]:
    upstream = Upstream()
    upstream_server, upstream_target = await _serve(upstream.handler())
    upstream_channel = grpc.aio.insecure_channel(upstream_target)
    registry = ServiceRegistry({"holomush.plugin.v1.PluginHostService"})
    registry.register("t.Echo", "echo-plugin")
    channels = _Channels(upstream_channel)
    forwarder = GrpcForwarder(lambda service: registry.route(service, channels))
    proxy_server, proxy_target = await _serve(forwarder)
    channel = grpc.aio.insecure_channel(proxy_target)
    try:
        yield Proxy(upstream, channel, registry, upstream_channel)
    finally:
        await channel.close(None)
        await proxy_server.stop(None)
        await upstream_channel.close(None)
        await upstream_server.stop(None)


async def test_unary_call_with_metadata_both_ways(proxy: Proxy) -> None:
    call = proxy.channel.unary_unary("/t.Echo/Unary")(
        b"hi", metadata=(("x-custom", "1"), ("x-holomush-actor-id", "spoofed")), timeout=5
    )
    assert await call == b"echo:hi"
    assert ("x-initial", "hello") in list(await call.initial_metadata())
    assert ("x-trailing", "bye") in list(await call.trailing_metadata())
    [seen] = proxy.upstream.metadata
    assert seen["x-custom"] == "1"
    assert "x-holomush-actor-id" not in seen  # callers cannot claim an actor
    [deadline] = proxy.upstream.deadlines
    assert deadline is not None
    assert 0 < deadline <= 5


async def test_streaming_calls(proxy: Proxy) -> None:
    server_stream = proxy.channel.unary_stream("/t.Echo/ServerStream")(b"n", timeout=5)
    assert [m async for m in server_stream] == [b"n0", b"n1", b"n2"]

    async def messages() -> AsyncIterator[bytes]:
        for item in (b"a", b"b", b"c"):
            yield item

    client_stream = proxy.channel.stream_unary("/t.Echo/ClientStream")
    assert await client_stream(messages(), timeout=5) == b"a+b+c"
    bidi = proxy.channel.stream_stream("/t.Echo/Bidi")(messages(), timeout=5)
    assert [m async for m in bidi] == [b"A", b"B", b"C"]


async def test_upstream_errors_pass_through(proxy: Proxy) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await proxy.channel.unary_unary("/t.Echo/Fail")(b"", timeout=5)
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == "WIDGET_NOT_FOUND: no widget"
    trailing: Any = caught.value.trailing_metadata()
    assert ("x-reason", "tested") in list(trailing)


async def test_cancelling_the_caller_cancels_upstream(proxy: Proxy) -> None:
    call = proxy.channel.unary_unary("/t.Echo/Slow")(b"", timeout=30)
    await asyncio.wait_for(proxy.upstream.slow_started.wait(), 5)
    call.cancel()
    await asyncio.wait_for(proxy.upstream.cancelled.wait(), 5)


@pytest.mark.parametrize(
    ("method", "code", "details"),
    [
        ("/x.Unknown/Call", grpc.StatusCode.UNIMPLEMENTED, "unknown service x.Unknown"),
        (
            "/holomush.plugin.v1.PluginHostService/Log",
            grpc.StatusCode.UNAVAILABLE,
            "service holomush.plugin.v1.PluginHostService is server-internal",
        ),
    ],
)
async def test_routing_refusals(
    proxy: Proxy, method: str, code: grpc.StatusCode, details: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await proxy.channel.unary_unary(method)(b"", timeout=5)
    assert (caught.value.code(), caught.value.details()) == (code, details)


async def test_upstream_channel_gone(proxy: Proxy) -> None:
    await proxy.upstream_channel.close(None)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await proxy.channel.unary_unary("/t.Echo/Unary")(b"", timeout=5)
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
    assert caught.value.details() == "service t.Echo is temporarily unavailable"


def test_registry_keeps_service_names_unique() -> None:
    registry = ServiceRegistry({"host.v1.Internal"})
    registry.register("t.Svc", "one")
    registry.register("t.Svc", "one")  # re-registering after a restart is fine
    for service, plugin in (("t.Svc", "two"), ("host.v1.Internal", "one")):
        with pytest.raises(ServiceRegistryError) as caught:
            registry.register(service, plugin)
        assert caught.value.code == SERVICE_ALREADY_REGISTERED
    registry.deregister_plugin("one")
    assert registry.provider("t.Svc") is None


def test_split_method() -> None:
    assert split_method("/pkg.v1.Svc/Method") == ("pkg.v1.Svc", "Method")
    for bad in ("pkg.Svc/Method", "/Method", "/pkg.Svc/", "//Method"):
        assert split_method(bad) is None
