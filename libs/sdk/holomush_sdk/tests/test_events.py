from datetime import UTC, datetime

import pytest

from holomush.plugin.v1 import plugin_pb2
from holomush_sdk import ActorKind, EmitEvent, Event, EventType
from holomush_sdk.events import (
    emit_event_from_proto,
    emit_event_to_proto,
    event_from_proto,
    event_to_proto,
)


def test_actor_kind_values_and_names_match_the_reference():
    assert [int(k) for k in ActorKind] == [0, 1, 2]
    assert [str(k) for k in ActorKind] == ["character", "system", "plugin"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("character", ActorKind.CHARACTER),
        ("system", ActorKind.SYSTEM),
        ("plugin", ActorKind.PLUGIN),
        ("unknown", ActorKind.CHARACTER),
        ("", ActorKind.CHARACTER),
    ],
)
def test_actor_kind_parse_maps_unknown_strings_to_character(text, kind):
    assert ActorKind.parse(text) is kind


def test_event_converts_both_ways_and_exposes_time():
    message = plugin_pb2.Event(
        id="01J",
        stream="location:1",
        type="say",
        timestamp=1_700_000_000_123,
        actor_kind="plugin",
        actor_id="echo-bot",
        payload='{"message":"hi"}',
    )
    event = event_from_proto(message)
    assert event == Event(
        "01J",
        "location:1",
        "say",
        1_700_000_000_123,
        ActorKind.PLUGIN,
        "echo-bot",
        '{"message":"hi"}',
    )
    assert event.time == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert event_to_proto(event) == message


def test_emit_event_accepts_event_type_constants():
    emit = EmitEvent("location:1", EventType.SAY, "{}")
    message = emit_event_to_proto(emit)
    assert message.type == "say"
    assert emit_event_from_proto(message) == EmitEvent("location:1", "say", "{}")
