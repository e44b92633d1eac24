"""``holomush.plugin.v1.PluginHostService``: the host API one plugin calls over its broker.

One servicer per plugin, served only on that plugin's broker connection (whose TLS peer
check admits only that plugin's certificate), so ``PluginIdentity`` is the caller's
identity: KV keys are scoped by it, never by the request's ``plugin_name``.

Every request is checked against the SDK's rule table first. Failures are gRPC statuses
whose message is ``"<CODE>: <message>"`` (see `status`); the six focus codes arrive in
the SDK as `FocusErrorCode`. Who may read which stream is `stream_access`'s rule; how
emitted events are attributed is described in `call_context` and `event_emitter`:

* an ``x-holomush-actor-*`` actor that matches a call in flight at this plugin is used as
  the event's actor (a player's command emitting on the player's behalf);
* otherwise the event is stamped ``{plugin, <name>}``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, NoReturn

import grpc
from google.protobuf.message import Message

from holomush.plugin.v1 import plugin_pb2, plugin_pb2_grpc
from holomush_host.data.errors import FocusError, FocusErrorCode
from holomush_host.data.event_types import Actor, ActorKind
from holomush_host.data.host_data import HostData
from holomush_host.data.replay import ReplayMode, StreamReplay
from holomush_host.services.call_context import InFlightCalls
from holomush_host.services.event_emitter import Emission, PluginEventEmitter
from holomush_host.services.event_protos import stored_event_to_proto
from holomush_host.services.identity import PluginIdentity, plugin_logger
from holomush_host.services.status import HostServiceError, abort_with
from holomush_host.services.stream_access import StreamAccess
from holomush_sdk.actor import actor_from_metadata
from holomush_sdk.focus import FocusKey, FocusKind
from holomush_sdk.goplugin.log_relay import level_from_string
from holomush_sdk.validation import RuleValidator, ValidationError

__all__ = ["PluginHostServicer", "add_plugin_host_service"]

Context = grpc.aio.ServicerContext[Any, Any]

_REPLAY_MODES = {
    plugin_pb2.STREAM_REPLAY_MODE_UNSPECIFIED: ReplayMode.FROM_CURSOR,
    plugin_pb2.STREAM_REPLAY_MODE_FROM_CURSOR: ReplayMode.FROM_CURSOR,
    plugin_pb2.STREAM_REPLAY_MODE_LIVE_ONLY: ReplayMode.LIVE_ONLY,
}
_FOCUS_KINDS = {plugin_pb2.FOCUS_KIND_SCENE: FocusKind.SCENE}


def _invalid(message: str) -> HostServiceError:
    return HostServiceError(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", message)


class PluginHostServicer(plugin_pb2_grpc.PluginHostServiceServicer):
    def __init__(
        self,
        plugin: PluginIdentity,
        calls: InFlightCalls,
        *,
        data: HostData,
        emitter: PluginEventEmitter,
        access: StreamAccess,
    ) -> None:
        self._plugin = plugin
        self._calls = calls
        self._data = data
        self._emitter = emitter
        self._access = access
        self._kv = data.kv.for_plugin(plugin.name)
        self._validator = RuleValidator()
        self._logger = plugin_logger(plugin.name)

    def _validate(self, request: Message) -> None:
        try:
            self._validator.validate(request)
        except ValidationError as err:
            raise _invalid(f"request validation failed: {err}") from None

    async def _fail(self, context: Context, exc: Exception, rpc: str) -> NoReturn:
        await abort_with(context, exc, rpc=rpc, plugin=self._plugin.name)

    # -- events -------------------------------------------------------------------------

    async def EmitEvent(
        self, request: plugin_pb2.PluginHostServiceEmitEventRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceEmitEventResponse:
        try:
            self._validate(request)
            call = self._calls.matching(actor_from_metadata(context.invocation_metadata()))
            if call is not None:
                actor, depth = call.actor, call.depth
            else:
                actor = Actor(ActorKind.PLUGIN, self._plugin.name)
                depth = self._calls.event_depth()
            emission = Emission(request.stream, request.event_type, request.payload)
            await self._emitter.emit(self._plugin, [emission], actor=actor, depth=depth)
        except Exception as exc:
            await self._fail(context, exc, "EmitEvent")
        return plugin_pb2.PluginHostServiceEmitEventResponse()

    async def QueryStreamHistory(
        self, request: plugin_pb2.PluginHostServiceQueryStreamHistoryRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceQueryStreamHistoryResponse:
        try:
            self._validate(request)
            if request.count < 0:
                raise _invalid("count must be non-negative")
            if request.not_before_ms < 0:
                raise _invalid("not_before_ms must be non-negative (0 means no floor)")
            await self._access.check_read(self._plugin, self._calls, request.stream)
            not_before = (
                datetime.fromtimestamp(request.not_before_ms / 1000, tz=UTC)
                if request.not_before_ms > 0
                else None
            )
            events = await self._data.events.tail(request.stream, request.count, not_before)
        except Exception as exc:
            await self._fail(context, exc, "QueryStreamHistory")
        return plugin_pb2.PluginHostServiceQueryStreamHistoryResponse(
            events=[stored_event_to_proto(event) for event in events]
        )

    # -- logging --------------------------------------------------------------------------

    async def Log(
        self, request: plugin_pb2.PluginHostServiceLogRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceLogResponse:
        try:
            self._validate(request)
            level = level_from_string(request.level)
            if level is None and request.level.strip().lower() == "warning":
                level = logging.WARNING
            if level is None:
                raise _invalid(
                    f"unknown log level {request.level!r}; use debug, info, warn or error"
                )
            self._logger.log(level, "%s", request.message, extra={"plugin": self._plugin.name})
        except Exception as exc:
            await self._fail(context, exc, "Log")
        return plugin_pb2.PluginHostServiceLogResponse()

    # -- key/value ------------------------------------------------------------------------

    async def KVGet(
        self, request: plugin_pb2.PluginHostServiceKVGetRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceKVGetResponse:
        try:
            self._validate(request)
            value = await self._kv.get(request.key)
        except Exception as exc:
            await self._fail(context, exc, "KVGet")
        if value is None:
            return plugin_pb2.PluginHostServiceKVGetResponse(found=False)
        return plugin_pb2.PluginHostServiceKVGetResponse(value=value, found=True)

    async def KVSet(
        self, request: plugin_pb2.PluginHostServiceKVSetRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceKVSetResponse:
        try:
            self._validate(request)
            await self._kv.set(request.key, request.value)
        except Exception as exc:
            await self._fail(context, exc, "KVSet")
        return plugin_pb2.PluginHostServiceKVSetResponse()

    async def KVDelete(
        self, request: plugin_pb2.PluginHostServiceKVDeleteRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceKVDeleteResponse:
        try:
            self._validate(request)
            await self._kv.delete(request.key)
        except Exception as exc:
            await self._fail(context, exc, "KVDelete")
        return plugin_pb2.PluginHostServiceKVDeleteResponse()

    # -- session streams ------------------------------------------------------------------

    async def AddSessionStream(
        self, request: plugin_pb2.PluginHostServiceAddSessionStreamRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceAddSessionStreamResponse:
        try:
            self._validate(request)
            mode = _REPLAY_MODES.get(request.replay_mode)
            if mode is None:
                raise _invalid(f"unknown replay_mode {request.replay_mode}")
            self._access.check_subscribe(self._plugin, request.stream)
            await self._data.session_streams.add_session_stream(
                request.session_id, request.stream, StreamReplay(mode)
            )
        except Exception as exc:
            await self._fail(context, exc, "AddSessionStream")
        return plugin_pb2.PluginHostServiceAddSessionStreamResponse()

    async def RemoveSessionStream(
        self, request: plugin_pb2.PluginHostServiceRemoveSessionStreamRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceRemoveSessionStreamResponse:
        try:
            self._validate(request)
            await self._data.session_streams.remove_session_stream(
                request.session_id, request.stream
            )
        except Exception as exc:
            await self._fail(context, exc, "RemoveSessionStream")
        return plugin_pb2.PluginHostServiceRemoveSessionStreamResponse()

    # -- focus ----------------------------------------------------------------------------

    async def JoinFocus(
        self, request: plugin_pb2.PluginHostServiceJoinFocusRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceJoinFocusResponse:
        try:
            self._validate(request)
            await self._data.focus.join_focus(request.session_id, _focus_key(request.target))
        except Exception as exc:
            await self._fail(context, exc, "JoinFocus")
        return plugin_pb2.PluginHostServiceJoinFocusResponse()

    async def LeaveFocus(
        self, request: plugin_pb2.PluginHostServiceLeaveFocusRequest, context: Context
    ) -> plugin_pb2.PluginHostServiceLeaveFocusResponse:
        try:
            self._validate(request)
            await self._data.focus.leave_focus(request.session_id, _focus_key(request.target))
        except Exception as exc:
            await self._fail(context, exc, "LeaveFocus")
        return plugin_pb2.PluginHostServiceLeaveFocusResponse()

    async def PresentFocus(
        self, request: plugin_pb2.PluginHostServicePresentFocusRequest, context: Context
    ) -> plugin_pb2.PluginHostServicePresentFocusResponse:
        try:
            self._validate(request)
            await self._data.focus.present_focus(request.session_id, _focus_key(request.target))
        except Exception as exc:
            await self._fail(context, exc, "PresentFocus")
        return plugin_pb2.PluginHostServicePresentFocusResponse()


def _focus_key(target: plugin_pb2.FocusKey) -> FocusKey:
    kind = _FOCUS_KINDS.get(target.kind)
    if kind is None:
        try:
            name = plugin_pb2.FocusKind.Name(target.kind)
        except ValueError:
            name = str(target.kind)
        raise FocusError(FocusErrorCode.FOCUS_KIND_UNREGISTERED, f"unsupported focus kind: {name}")
    return FocusKey(kind, target.target_id)


def add_plugin_host_service(servicer: PluginHostServicer, server: grpc.aio.Server) -> None:
    plugin_pb2_grpc.add_PluginHostServiceServicer_to_server(servicer, server)
