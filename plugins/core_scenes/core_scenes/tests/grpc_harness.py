"""Serve the plugin in process, as the SDK serves it, on a unix socket; plus a small
PluginHostService standing in for the host (events, focus, stream history)."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from holomush.plugin.v1 import plugin_pb2, plugin_pb2_grpc
from holomush_sdk import PLUGIN_HOST_SERVICE_NAME, ServeConfig, ServiceProvider
from holomush_sdk.actor import actor_from_metadata
from holomush_sdk.goplugin.grpc_options import UNLIMITED_MESSAGE_SIZE
from holomush_sdk.serving import plugin_services

HOST_BROKER_ID = 1
Context = grpc.aio.ServicerContext[Any, Any]


@dataclass
class EmittedEvent:
    stream: str
    type: str
    payload: str
    actor_id: str | None


@dataclass
class FakeHost(plugin_pb2_grpc.PluginHostServiceServicer):
    """The host side a plugin calls back into. Focus follows the reference's rules and
    reports errors the documented way (gRPC code plus ``CODE:`` message prefix)."""

    emitted: list[EmittedEvent] = field(default_factory=list)
    focus_calls: list[tuple[str, str, int, str]] = field(default_factory=list)
    memberships: dict[str, set[str]] = field(default_factory=dict)
    presenting: dict[str, str] = field(default_factory=dict)

    async def EmitEvent(
        self, request: plugin_pb2.PluginHostServiceEmitEventRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceEmitEventResponse:
        if request.stream.split(":", 1)[0] != "scene":
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f'PLUGIN_EMIT_FORBIDDEN: plugin may not emit to namespace "{request.stream}"',
            )
        actor = actor_from_metadata(context.invocation_metadata())
        self.emitted.append(
            EmittedEvent(
                request.stream,
                request.event_type,
                request.payload.decode(),
                actor.id if actor else None,
            )
        )
        return plugin_pb2.PluginHostServiceEmitEventResponse()

    def _record(self, method: str, request: Any) -> tuple[str, str]:
        self.focus_calls.append(
            (method, request.session_id, request.target.kind, request.target.target_id)
        )
        return request.session_id, request.target.target_id

    async def JoinFocus(
        self, request: plugin_pb2.PluginHostServiceJoinFocusRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceJoinFocusResponse:
        session, target = self._record("JoinFocus", request)
        if request.target.kind != plugin_pb2.FOCUS_KIND_SCENE:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "FOCUS_KIND_UNREGISTERED: no policy"
            )
        members = self.memberships.setdefault(session, set())
        if target in members:
            await context.abort(
                grpc.StatusCode.ALREADY_EXISTS, "FOCUS_ALREADY_MEMBER: already a member"
            )
        members.add(target)
        return plugin_pb2.PluginHostServiceJoinFocusResponse()

    async def LeaveFocus(
        self, request: plugin_pb2.PluginHostServiceLeaveFocusRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceLeaveFocusResponse:
        session, target = self._record("LeaveFocus", request)
        self.memberships.get(session, set()).discard(target)
        if self.presenting.get(session) == target:
            del self.presenting[session]
        return plugin_pb2.PluginHostServiceLeaveFocusResponse()

    async def PresentFocus(
        self, request: plugin_pb2.PluginHostServicePresentFocusRequest, context: Context
    ) -> plugin_pb2.PluginHostServicePresentFocusResponse:
        session, target = self._record("PresentFocus", request)
        if target not in self.memberships.get(session, set()):
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION, "FOCUS_NOT_MEMBER: not a member"
            )
        self.presenting[session] = target
        return plugin_pb2.PluginHostServicePresentFocusResponse()

    async def QueryStreamHistory(
        self, request: plugin_pb2.PluginHostServiceQueryStreamHistoryRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceQueryStreamHistoryResponse:
        events = [e for e in self.emitted if e.stream == request.stream][-min(request.count, 500) :]
        return plugin_pb2.PluginHostServiceQueryStreamHistoryResponse(
            events=[
                plugin_pb2.Event(
                    id=f"ev-{index}",
                    stream=e.stream,
                    type=e.type,
                    timestamp=int(time.time() * 1000),
                    actor_kind="character",
                    actor_id=e.actor_id or "unknown",
                    payload=e.payload,
                )
                for index, e in enumerate(events)
            ]
        )


class AddressBroker:
    """Stands in for the go-plugin broker: broker ID → server address."""

    def __init__(self, addresses: dict[int, str]) -> None:
        self._addresses = addresses
        self._channels: list[grpc.aio.Channel] = []

    async def dial(self, broker_id: int, /, *, timeout: float = 5.0) -> grpc.aio.Channel:  # noqa: ASYNC109
        channel = grpc.aio.insecure_channel(self._addresses[broker_id])
        self._channels.append(channel)
        return channel

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close(None)


@dataclass
class Served:
    channel: grpc.aio.Channel
    host: FakeHost
    host_services: dict[str, str]
    """What Init's ``required_services`` must say for the plugin to find the fake host."""


@contextlib.asynccontextmanager
async def serve_plugin(plugin: ServiceProvider) -> AsyncIterator[Served]:
    """The plugin's gRPC server as `serve_with_services` builds it (the SDK's request
    hooks, PluginService, SceneService, AttributeResolverService), on a unix socket."""
    with tempfile.TemporaryDirectory(prefix="cs-") as scratch:
        host = FakeHost()  # type: ignore[abstract]  # KV, Log … answer UNIMPLEMENTED
        host_server = grpc.aio.server()
        plugin_pb2_grpc.add_PluginHostServiceServicer_to_server(host, host_server)  # type: ignore[no-untyped-call]
        host_address = f"unix:{Path(scratch) / 'host.sock'}"
        host_server.add_insecure_port(host_address)
        await host_server.start()
        broker = AddressBroker({HOST_BROKER_ID: host_address})

        register = plugin_services(
            ServeConfig(handler=plugin, plugin_name="core-scenes"),  # type: ignore[arg-type]
            plugin,
        )
        # Message sizes unlimited, as go-plugin's transport (and so the real plugin) has them.
        server = grpc.aio.server(options=UNLIMITED_MESSAGE_SIZE)
        await register(server, broker)  # type: ignore[arg-type]
        address = f"unix:{Path(scratch) / 'plugin.sock'}"
        server.add_insecure_port(address)
        await server.start()
        channel = grpc.aio.insecure_channel(address, options=UNLIMITED_MESSAGE_SIZE)
        try:
            yield Served(channel, host, {PLUGIN_HOST_SERVICE_NAME: f"broker:{HOST_BROKER_ID}"})
        finally:
            await channel.close(None)
            await server.stop(None)
            await broker.close()
            await host_server.stop(None)
