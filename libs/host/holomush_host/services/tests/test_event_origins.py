"""Event origins: remembered when recorded, bounded in memory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from holomush_host.data.event_types import Actor, ActorKind, StoredEvent
from holomush_host.services.event_origins import EventOrigin, EventOrigins

ZETA = EventOrigin("zeta", 1)


def stored(event_id: str) -> StoredEvent:
    return StoredEvent(
        id=event_id,
        stream="location:01X",
        type="say",
        actor=Actor(ActorKind.PLUGIN, "zeta"),
        payload="{}",
        created_at=datetime.now(UTC),
    )


def test_unknown_events_have_no_origin() -> None:
    assert EventOrigins().lookup("01UNKNOWN") is None


def test_recorded_events_have_their_origin() -> None:
    origins = EventOrigins()
    origins.record([stored("01A"), stored("01B")], ZETA)
    assert origins.lookup("01A") == ZETA
    assert origins.lookup("01B") == ZETA


def test_capacity_bounds_memory() -> None:
    origins = EventOrigins(capacity=2)
    for event_id in ("a", "b", "c"):
        origins.record([stored(event_id)], ZETA)
    assert origins.lookup("a") is None
    assert origins.lookup("c") == ZETA
    with pytest.raises(ValueError, match="capacity"):
        EventOrigins(capacity=0)
