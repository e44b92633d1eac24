"""Stored events in the plugin protocol's shape (``holomush.plugin.v1.Event``)."""

from __future__ import annotations

from holomush.plugin.v1 import plugin_pb2
from holomush_host.data.event_types import StoredEvent
from holomush_sdk.events import Event, event_to_proto

__all__ = ["stored_event_to_proto", "stored_event_to_sdk"]


def stored_event_to_sdk(event: StoredEvent) -> Event:
    return Event(
        id=event.id,
        stream=event.stream,
        type=event.type,
        timestamp=event.timestamp_ms,
        actor_kind=event.actor.kind,
        actor_id=event.actor.id,
        payload=event.payload,
    )


def stored_event_to_proto(event: StoredEvent) -> plugin_pb2.Event:
    return event_to_proto(stored_event_to_sdk(event))
