"""The PluginService servicer: turns the host's RPCs into calls on the author's objects."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any, NoReturn

import grpc

from holomush.plugin.v1 import plugin_pb2, plugin_pb2_grpc
from holomush_sdk._invoke import call_maybe_async
from holomush_sdk.actor import actor_from_metadata, actor_scope, current_actor
from holomush_sdk.auditing import audit_context, harvest_audit_hints
from holomush_sdk.broker_services import BrokerDialer, RequiredServices
from holomush_sdk.commands import (
    CommandResponse,
    command_request_from_proto,
    command_response_to_proto,
)
from holomush_sdk.config import ServiceConfig
from holomush_sdk.errors import PluginError
from holomush_sdk.event_sink import EventSinkAware
from holomush_sdk.events import EmitEvent, emit_event_to_proto, event_from_proto
from holomush_sdk.focus import FocusClientAware
from holomush_sdk.host_clients import PluginHost
from holomush_sdk.interfaces import CommandHandler, Handler, Initializer, SessionStreamsProvider

__all__ = ["PluginServiceAdapter"]

_log = logging.getLogger("holomush_sdk")

Context = grpc.aio.ServicerContext[Any, Any]


class PluginServiceAdapter(plugin_pb2_grpc.PluginServiceServicer):
    """Serves ``holomush.plugin.v1.PluginService`` for one plugin.

    `handler` gets events and commands. Init injects the host clients into `provider` (or,
    for a handler-only plugin, the handler) and then calls its ``init``.
    """

    def __init__(
        self,
        handler: Handler,
        provider: Initializer | None = None,
        broker: BrokerDialer | None = None,
        *,
        plugin_name: str = "",
    ) -> None:
        self._handler = handler
        # A runtime-checkable Protocol check costs microseconds: once, not on every command.
        self._commands: CommandHandler | None = (
            handler if isinstance(handler, CommandHandler) else None
        )
        self._provider = provider
        self._broker = broker
        self._plugin_name = plugin_name
        self.services: RequiredServices | None = None
        """The required services of the last Init (None before Init)."""

    def _plugin_objects(self) -> list[object]:
        # The provider first (the Go SDK looks there), then the handler if it is another
        # object, so a handler-only plugin can opt in too.
        objects: list[object] = [] if self._provider is None else [self._provider]
        if all(self._handler is not obj for obj in objects):
            objects.append(self._handler)
        return objects

    async def Init(
        self, request: plugin_pb2.InitRequest, context: Context
    ) -> plugin_pb2.InitResponse:
        try:
            await self._init(request)
        except Exception as exc:
            await _abort(context, exc, "init")
        return plugin_pb2.InitResponse()

    async def _init(self, request: plugin_pb2.InitRequest) -> None:
        proto_config = request.config
        required = dict(proto_config.required_services)
        services = RequiredServices.from_config(required, self._broker)
        self.services = services
        services.start()
        host = PluginHost(services, plugin_name=self._plugin_name)
        config = ServiceConfig(
            connection_string=proto_config.connection_string,
            required_services=required,
            services=services,
            host=host,
        )
        objects = self._plugin_objects()
        sink_targets = [obj for obj in objects if isinstance(obj, EventSinkAware)]
        focus_targets = [obj for obj in objects if isinstance(obj, FocusClientAware)]
        if sink_targets or focus_targets:
            await host.connect()  # one connection, shared by both facades
        for sink_target in sink_targets:
            await call_maybe_async(sink_target.set_event_sink, host.events)
        for focus_target in focus_targets:
            await call_maybe_async(focus_target.set_focus_client, host.focus)
        initializer = next((obj for obj in objects if isinstance(obj, Initializer)), None)
        if initializer is not None:
            await call_maybe_async(initializer.init, config)

    async def HandleEvent(
        self, request: plugin_pb2.HandleEventRequest, context: Context
    ) -> plugin_pb2.HandleEventResponse:
        event = event_from_proto(request.event)
        try:
            with _caller_scope(context):
                emits = await call_maybe_async(self._handler.handle_event, event)
            response = plugin_pb2.HandleEventResponse(
                emit_events=[emit_event_to_proto(e) for e in _check_emits(emits)]
            )
        except Exception as exc:
            await _abort(context, exc, "handle event")
        return response

    async def HandleCommand(
        self, request: plugin_pb2.HandleCommandRequest, context: Context
    ) -> plugin_pb2.HandleCommandResponse:
        if self._commands is None:
            return plugin_pb2.HandleCommandResponse(response=plugin_pb2.CommandResponse())
        command = command_request_from_proto(request.command)
        try:
            with _caller_scope(context), audit_context():
                result = await call_maybe_async(self._commands.handle_command, command)
                hints = harvest_audit_hints()
            if result is None:
                result = CommandResponse()
            elif not isinstance(result, CommandResponse):
                raise TypeError(
                    f"handle_command must return a CommandResponse or None, got {type(result).__name__}"
                )
            response = command_response_to_proto(result, hints)
        except Exception as exc:
            await _abort(context, exc, "handle command")
        return plugin_pb2.HandleCommandResponse(response=response)

    async def QuerySessionStreams(
        self, request: plugin_pb2.QuerySessionStreamsRequest, context: Context
    ) -> plugin_pb2.QuerySessionStreamsResponse:
        provider = next(
            (obj for obj in self._plugin_objects() if isinstance(obj, SessionStreamsProvider)), None
        )
        if provider is None:
            await context.abort(
                grpc.StatusCode.UNIMPLEMENTED, "plugin does not implement query_session_streams"
            )
        try:
            with _caller_scope(context):
                streams = await call_maybe_async(
                    provider.query_session_streams,
                    request.character_id,
                    request.player_id,
                    request.session_id,
                )
            if isinstance(streams, str) or not all(isinstance(s, str) for s in streams):
                raise TypeError("query_session_streams must return a list of str")
        except Exception as exc:
            # The protocol reports plugin errors in the response; the host logs and skips.
            _log.warning("query_session_streams failed: %s", _describe(exc))
            return plugin_pb2.QuerySessionStreamsResponse(error=_describe(exc))
        return plugin_pb2.QuerySessionStreamsResponse(streams=list(streams))


def _check_emits(emits: Sequence[EmitEvent] | None) -> Sequence[EmitEvent]:
    if emits is None:
        return ()
    if isinstance(emits, str | bytes) or not all(isinstance(e, EmitEvent) for e in emits):
        raise TypeError("handle_event must return a list of EmitEvent or None")
    return emits


def _describe(exc: BaseException) -> str:
    if isinstance(exc, PluginError):
        return exc.wire_message()
    return f"{type(exc).__name__}: {exc}"


async def _abort(context: Context, exc: Exception, operation: str) -> NoReturn:
    """Answer the RPC with `exc` as a gRPC status; log unexpected errors with traceback."""
    if isinstance(exc, PluginError):
        _log.warning("%s failed: %s", operation, exc.wire_message())
        await context.abort(exc.status, exc.wire_message())
    _log.error("%s failed", operation, exc_info=exc)
    await context.abort(grpc.StatusCode.UNKNOWN, f"{operation} failed: {_describe(exc)}")


def _caller_scope(context: Context) -> contextlib.AbstractContextManager[None]:
    """The caller's actor as `current_actor()`. Under `serve` the SDK's actor hook has set
    it already for this call; parse the headers only when it has not."""
    if current_actor() is not None:
        return contextlib.nullcontext()
    return actor_scope(actor_from_metadata(context.invocation_metadata()))
