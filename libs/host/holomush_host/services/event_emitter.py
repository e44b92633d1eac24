"""Every event a plugin emits goes through `PluginEventEmitter` (reference §4.9, fixed).

The three ways a plugin emits (EventSink → EmitEvent, ``CommandResponse.events``, events
returned from HandleEvent) get the same checks, in this order, before anything is
written:

1. the stream's namespace (the part before the first ``:``) is one the plugin's manifest
   lists in ``emits``: otherwise PERMISSION_DENIED ``plugin may not emit to namespace "x"``;
2. the stream is well formed (``<namespace>:<name>``, no whitespace, at most 256 chars);
3. the type is a single word, and the payload is valid JSON of at most 64 KiB.

The caller decides the actor and the chain depth (see `call_context`); the emitter records
the plugin as the events' origin (`event_origins`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import grpc

from holomush_host.data.event_store import EventStore
from holomush_host.data.event_types import Actor, EventDraft, StoredEvent
from holomush_host.data.validation import check_payload, check_stream, stream_namespace
from holomush_host.manifest.errors import go_quote
from holomush_host.manifest.vocabulary import is_plugin_name
from holomush_host.services.event_origins import EventOrigin, EventOrigins
from holomush_host.services.identity import PluginIdentity
from holomush_host.services.status import HostServiceError

__all__ = ["EMIT_DENIED_CODE", "Emission", "PluginEventEmitter"]

EMIT_DENIED_CODE = "PLUGIN_EMIT_DENIED"


@dataclass(frozen=True, slots=True)
class Emission:
    """One event a plugin wants appended (payload: JSON text, or UTF-8 bytes of it)."""

    stream: str
    type: str
    payload: str | bytes = "{}"


class PluginEventEmitter:
    def __init__(self, events: EventStore, origins: EventOrigins) -> None:
        self._events = events
        self._origins = origins

    @property
    def origins(self) -> EventOrigins:
        return self._origins

    def check(self, plugin: PluginIdentity, emission: Emission, actor: Actor) -> EventDraft:
        """The draft to append, or `HostServiceError` / `InvalidInputError` saying why not."""
        check_namespace(plugin, emission.stream)
        check_stream(emission.stream)
        check_payload(emission.payload)
        return EventDraft(emission.stream, emission.type, actor, emission.payload)

    async def emit(
        self,
        plugin: PluginIdentity,
        emissions: Sequence[Emission],
        *,
        actor: Actor,
        depth: int,
    ) -> list[StoredEvent]:
        """Check every emission, then append them all in one transaction (or none)."""
        drafts = [self.check(plugin, emission, actor) for emission in emissions]
        if not drafts:
            return []
        origin = EventOrigin(plugin.name, depth)
        return await self._events.append_many(
            drafts, on_committed=lambda stored: self._origins.record(stored, origin)
        )


def check_namespace(plugin: PluginIdentity, stream: str) -> str:
    """The stream's namespace, if ``plugin`` may emit to it (reference §4.9 steps 1-2)."""
    if not stream or stream != stream.strip():
        raise HostServiceError(
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_ARGUMENT",
            f"stream {go_quote(stream)} must be non-empty, without surrounding whitespace",
        )
    namespace = stream_namespace(stream)
    if not is_plugin_name(namespace):
        raise HostServiceError(
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_ARGUMENT",
            f"stream {go_quote(stream)} must start with a namespace like those in a "
            "manifest's emits (lower-case letters, digits, single hyphens), then ':'",
        )
    if namespace not in plugin.emits:
        allowed = ", ".join(sorted(plugin.emits)) or "none"
        raise HostServiceError(
            grpc.StatusCode.PERMISSION_DENIED,
            EMIT_DENIED_CODE,
            f"plugin may not emit to namespace {go_quote(namespace)} "
            f"(plugin {go_quote(plugin.name)} declares emits: {allowed})",
        )
    return namespace
