"""GRPCBroker (wire protocol §4): both directions through real plugins, and its timing rules."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import grpc.aio
import pytest

from hashicorp.goplugin import grpc_broker_pb2_grpc
from hashicorp.goplugin.grpc_broker_pb2 import ConnInfo
from holomush_sdk.goplugin.broker import MUX_UNSUPPORTED_KNOCK_ERROR, GRPCBroker
from holomush_sdk.goplugin.channel_security import ChannelSecurity
from holomush_sdk.goplugin.errors import BrokerError
from holomush_sdk.goplugin.tests.fixtures.fixture_service import (
    FIXTURE_SERVICE,
    HOST_SIDE_SERVICE,
    PLUGIN_SIDE_SERVICE,
    call,
    hello_service,
)
from holomush_sdk.goplugin.tests.support import fixture_command, running
from holomush_sdk.goplugin.tls import CertificateAuthority, TransportSecurity


def _serve_host_hello(server: grpc.aio.Server) -> None:
    server.add_generic_rpc_handlers([hello_service(HOST_SIDE_SERVICE, b"host:")])


@pytest.mark.parametrize("mode", ["mtls", "automtls", "plaintext"])
async def test_both_directions(mode: str, ca: CertificateAuthority) -> None:
    if mode == "mtls":
        tls = TransportSecurity.mtls(ca)
    elif mode == "automtls":
        tls = TransportSecurity.auto_mtls()
    else:
        tls = TransportSecurity.plaintext(insecure=True)
    async with running("brokered", fixture_command("echo_plugin"), tls=tls) as client:
        # The plugin dials a service the host serves.
        host_id = client.broker.next_id()
        assert host_id == 1
        await client.broker.accept_and_serve(host_id, _serve_host_hello)
        request = json.dumps({"broker_id": host_id, "payload": "from plugin"}).encode()
        assert (
            await call(client.channel, FIXTURE_SERVICE, "CallHost")(request) == b"host:from plugin"
        )

        # The host dials a service the plugin serves (the plugin counts its IDs on its own).
        plugin_id = int(await call(client.channel, FIXTURE_SERVICE, "ServeOnBroker")(b""))
        assert plugin_id == 1
        async with await client.broker.dial(plugin_id) as channel:
            assert (
                await call(channel, PLUGIN_SIDE_SERVICE, "Hello")(b"from host")
                == b"plugin:from host"
            )


async def test_unknown_id_times_out_and_announcements_expire(mtls: TransportSecurity) -> None:
    async with running("expiry", fixture_command("echo_plugin"), tls=mtls) as client:
        announced = int(await call(client.channel, FIXTURE_SERVICE, "ServeOnBroker")(b""))
        await _wait_until(lambda: announced in client.broker.announced_ids(), 5)

        async def unknown_id() -> float:
            started = time.monotonic()
            with pytest.raises(BrokerError, match=r"^timeout waiting for connection info$"):
                await client.broker.dial(999)
            return time.monotonic() - started

        async def expired_announcement() -> None:
            await _wait_until(lambda: announced not in client.broker.announced_ids(), 8)
            with pytest.raises(BrokerError, match="timeout waiting for connection info"):
                await client.broker.dial(announced, timeout=0.2)

        waited, _ = await asyncio.gather(unknown_id(), expired_announcement())
        assert 4.9 <= waited < 7


async def _wait_until(condition: Callable[[], bool], limit: float) -> None:
    """Poll a condition nothing signals (broker table state), up to ``limit`` seconds."""
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


# -- broker rules on an in-process pair (real gRPC, plaintext unix socket) -------------------


class _PluginSide(grpc_broker_pb2_grpc.GRPCBrokerServicer):
    def __init__(self, broker: GRPCBroker) -> None:
        self.broker = broker

    async def StartStream(self, request_iterator: Any, context: Any) -> None:  # type: ignore[override]
        await self.broker.run_stream(request_iterator, context.write)


@pytest.fixture
async def broker_pair() -> AsyncIterator[tuple[GRPCBroker, GRPCBroker, Any]]:
    """A host-side and a plugin-side broker joined by a real StartStream (plaintext)."""
    directory = tempfile.mkdtemp(prefix="gpb-")
    plugin_broker = GRPCBroker(
        ChannelSecurity.plaintext(), socket_directory=directory, announcement_ttl=0.3
    )
    host_broker = GRPCBroker(
        ChannelSecurity.plaintext(), socket_directory=directory, announcement_ttl=0.3
    )
    server = grpc.aio.server()
    grpc_broker_pb2_grpc.add_GRPCBrokerServicer_to_server(_PluginSide(plugin_broker), server)
    server.add_insecure_port(f"unix:{directory}/main")
    await server.start()
    channel = grpc.aio.insecure_channel(f"unix:{directory}/main")
    stream = grpc_broker_pb2_grpc.GRPCBrokerStub(channel).StartStream()  # type: ignore[call-arg]
    task = asyncio.create_task(host_broker.run_stream(stream, stream.write))
    yield host_broker, plugin_broker, stream
    await host_broker.close()
    await plugin_broker.close()
    task.cancel()
    await channel.close(None)
    await server.stop(None)
    shutil.rmtree(directory, ignore_errors=True)


async def test_each_announcement_serves_one_dial(
    broker_pair: tuple[GRPCBroker, GRPCBroker, Any],
) -> None:
    host, plugin, _ = broker_pair
    await plugin.accept_and_serve(
        5, lambda s: s.add_generic_rpc_handlers([hello_service(PLUGIN_SIDE_SERVICE, b"p:")])
    )
    async with await host.dial(5) as channel:
        assert await call(channel, PLUGIN_SIDE_SERVICE, "Hello")(b"x") == b"p:x"
    with pytest.raises(BrokerError, match="timeout"):
        await host.dial(5, timeout=0.1)


async def test_dial_waits_for_a_later_announcement(
    broker_pair: tuple[GRPCBroker, GRPCBroker, Any],
) -> None:
    host, plugin, _ = broker_pair
    dialing = asyncio.create_task(host.dial(9, timeout=5))
    await plugin.accept_and_serve(
        9, lambda s: s.add_generic_rpc_handlers([hello_service(PLUGIN_SIDE_SERVICE, b"p:")])
    )
    async with await dialing as channel:
        assert await call(channel, PLUGIN_SIDE_SERVICE, "Hello")(b"late") == b"p:late"


async def test_mux_knocks_get_an_error_ack(broker_pair: tuple[GRPCBroker, GRPCBroker, Any]) -> None:
    host, _, stream = broker_pair
    knock = ConnInfo(service_id=3)
    knock.knock.knock = True
    await stream.write(knock)
    # The reply reaches the host broker's table as an entry for ID 3 with the error ack.
    await _wait_until(lambda: 3 in host.announced_ids(), 5)
    reply = host._pending[3].queue.get_nowait()
    assert (reply.knock.knock, reply.knock.ack, reply.knock.error) == (
        True,
        True,
        MUX_UNSUPPORTED_KNOCK_ERROR,
    )


async def test_closed_broker_refuses_work(broker_pair: tuple[GRPCBroker, GRPCBroker, Any]) -> None:
    host, plugin, _ = broker_pair
    await plugin.close()
    with pytest.raises(BrokerError, match="broker closed"):
        await plugin.accept_and_serve(1, lambda s: None)
    with pytest.raises(BrokerError, match="broker closed"):
        await plugin.dial(1)
    # The stream ended with it, so the host side is closed too.
    await _wait_until(lambda: host.closed, 5)
