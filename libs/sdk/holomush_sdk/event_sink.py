"""EventSink: publish events to the host's event store from anywhere in a plugin.

Returning events from `handle_event` or in `CommandResponse.events` covers most needs;
the sink is for emitting at other times (from a provided service, a background task, or
during `init`). The host checks the stream namespace against the manifest's ``emits`` and
stamps ID, time and actor. The actor is the one of the call being handled (see
`holomush_sdk.actor`) unless given explicitly; with none the host attributes the event to
the plugin.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from holomush.plugin.v1 import plugin_pb2
from holomush_sdk._host_channel import HostChannel, RpcError, split_status_code
from holomush_sdk.actor import Actor
from holomush_sdk.errors import HostCallError
from holomush_sdk.events import EmitIntent
from holomush_sdk.goplugin._gostrconv import quote as go_quote

__all__ = ["EventSink", "EventSinkAware", "HostEventSink"]


@runtime_checkable
class EventSink(Protocol):
    async def emit(self, intent: EmitIntent, *, actor: Actor | None = None) -> None:
        """Append one event; raises `HostCallError` when the host refuses it."""
        ...


@runtime_checkable
class EventSinkAware(Protocol):
    """Implement on your plugin to receive an `EventSink` during Init (before `init`)."""

    def set_event_sink(self, sink: EventSink) -> None: ...


class HostEventSink:
    """`EventSink` backed by the host's PluginHostService.EmitEvent over the broker."""

    def __init__(self, channel: HostChannel) -> None:
        self._channel = channel

    async def emit(self, intent: EmitIntent, *, actor: Actor | None = None) -> None:
        request = plugin_pb2.PluginHostServiceEmitEventRequest(
            stream=intent.stream,
            event_type=str(intent.type),
            payload=intent.payload.encode("utf-8"),
        )
        stub = await self._channel.stub()
        try:
            await stub.EmitEvent(
                request, timeout=self._channel.timeout, metadata=self._channel.actor_metadata(actor)
            )
        except RpcError as err:
            details = err.details() or ""
            code, _ = split_status_code(details)
            raise HostCallError(
                f"emit event to stream {go_quote(intent.stream)}: {details}",
                code=code,
                status=err.code(),
                context={"stream": intent.stream, "event_type": str(intent.type)},
            ) from None
