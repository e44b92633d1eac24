"""A small but real PluginHostService for tests: it records what plugins send and answers
focus calls the way the HoloMUSH host does (gRPC code plus a ``CODE: `` message prefix)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import grpc

from holomush.plugin.v1 import plugin_pb2, plugin_pb2_grpc
from holomush_sdk.actor import Actor, actor_from_metadata


@dataclass
class EmittedEvent:
    stream: str
    event_type: str
    payload: bytes
    actor: Actor | None


@dataclass
class FakeHostState:
    sessions: set[str] = field(default_factory=set)
    expired_sessions: set[str] = field(default_factory=set)
    memberships: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    presenting: dict[str, tuple[int, str]] = field(default_factory=dict)
    emitted: list[EmittedEvent] = field(default_factory=list)
    kv: dict[str, str] = field(default_factory=dict)
    kv_names: list[str] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)
    session_streams: dict[str, dict[str, int]] = field(default_factory=dict)
    history: dict[str, list[plugin_pb2.Event]] = field(default_factory=dict)
    history_requests: list[plugin_pb2.PluginHostServiceQueryStreamHistoryRequest] = field(
        default_factory=list
    )
    focus_actors: list[Actor | None] = field(default_factory=list)


class FakePluginHost(plugin_pb2_grpc.PluginHostServiceServicer):
    def __init__(self, state: FakeHostState | None = None) -> None:
        self.state = state or FakeHostState()
        self.emitted_event = asyncio.Event()

    async def EmitEvent(self, request: Any, context: Any) -> Any:
        if request.stream.startswith("forbidden:"):
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                'PLUGIN_EMIT_DENIED: plugin may not emit to namespace "forbidden"',
            )
        self.state.emitted.append(
            EmittedEvent(
                request.stream,
                request.event_type,
                request.payload,
                actor_from_metadata(context.invocation_metadata()),
            )
        )
        self.emitted_event.set()
        return plugin_pb2.PluginHostServiceEmitEventResponse()

    async def Log(self, request: Any, context: Any) -> Any:
        self.state.logs.append((request.level, request.message))
        return plugin_pb2.PluginHostServiceLogResponse()

    async def KVGet(self, request: Any, context: Any) -> Any:
        self.state.kv_names.append(request.plugin_name)
        value = self.state.kv.get(request.key)
        return plugin_pb2.PluginHostServiceKVGetResponse(value=value or "", found=value is not None)

    async def KVSet(self, request: Any, context: Any) -> Any:
        self.state.kv_names.append(request.plugin_name)
        self.state.kv[request.key] = request.value
        return plugin_pb2.PluginHostServiceKVSetResponse()

    async def KVDelete(self, request: Any, context: Any) -> Any:
        self.state.kv.pop(request.key, None)
        return plugin_pb2.PluginHostServiceKVDeleteResponse()

    async def AddSessionStream(self, request: Any, context: Any) -> Any:
        if request.session_id not in self.state.sessions:
            await context.abort(grpc.StatusCode.NOT_FOUND, "SESSION_NOT_FOUND: session not active")
        streams = self.state.session_streams.setdefault(request.session_id, {})
        streams[request.stream] = request.replay_mode
        return plugin_pb2.PluginHostServiceAddSessionStreamResponse()

    async def RemoveSessionStream(self, request: Any, context: Any) -> Any:
        self.state.session_streams.get(request.session_id, {}).pop(request.stream, None)
        return plugin_pb2.PluginHostServiceRemoveSessionStreamResponse()

    async def _session(self, session_id: str, context: Any) -> None:
        if session_id in self.state.expired_sessions:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "SESSION_EXPIRED: expired")
        if session_id not in self.state.sessions:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"SESSION_NOT_FOUND: {session_id}")

    async def JoinFocus(self, request: Any, context: Any) -> Any:
        self.state.focus_actors.append(actor_from_metadata(context.invocation_metadata()))
        await self._session(request.session_id, context)
        if request.target.kind != plugin_pb2.FOCUS_KIND_SCENE:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "FOCUS_KIND_UNREGISTERED: unsupported focus kind"
            )
        key = (request.target.kind, request.target.target_id)
        members = self.state.memberships.setdefault(request.session_id, [])
        if key in members:
            await context.abort(
                grpc.StatusCode.ALREADY_EXISTS, "FOCUS_ALREADY_MEMBER: already a member"
            )
        members.append(key)
        return plugin_pb2.PluginHostServiceJoinFocusResponse()

    async def LeaveFocus(self, request: Any, context: Any) -> Any:
        await self._session(request.session_id, context)
        key = (request.target.kind, request.target.target_id)
        members = self.state.memberships.setdefault(request.session_id, [])
        if key in members:
            members.remove(key)
        if self.state.presenting.get(request.session_id) == key:
            del self.state.presenting[request.session_id]
        return plugin_pb2.PluginHostServiceLeaveFocusResponse()

    async def PresentFocus(self, request: Any, context: Any) -> Any:
        await self._session(request.session_id, context)
        key = (request.target.kind, request.target.target_id)
        if key not in self.state.memberships.get(request.session_id, []):
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION, "FOCUS_NOT_MEMBER: target is not a membership"
            )
        self.state.presenting[request.session_id] = key
        return plugin_pb2.PluginHostServicePresentFocusResponse()

    async def QueryStreamHistory(self, request: Any, context: Any) -> Any:
        self.state.history_requests.append(request)
        if request.count < 0:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT: count must be non-negative"
            )
        events = [
            event
            for event in self.state.history.get(request.stream, [])
            if event.timestamp >= request.not_before_ms
        ]
        count = min(request.count, 500)
        return plugin_pb2.PluginHostServiceQueryStreamHistoryResponse(
            events=events[-count:] if count else []
        )


def add_fake_host(host: FakePluginHost) -> Any:
    def register(server: grpc.aio.Server) -> None:
        plugin_pb2_grpc.add_PluginHostServiceServicer_to_server(host, server)

    return register
