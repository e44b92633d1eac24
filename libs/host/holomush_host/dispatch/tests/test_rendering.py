"""How each event type reads on a terminal (reference §8.1 table)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from holomush_host.data.event_types import Actor, ActorKind, StoredEvent
from holomush_host.dispatch.rendering import render_event

CHARACTER = Actor(ActorKind.CHARACTER, "01JD0000000000000000000002")
SYSTEM = Actor(ActorKind.SYSTEM, "system")
ECHO_BOT = Actor(ActorKind.PLUGIN, "echo-bot")
ROOM = "location:01JD0000000000000000000001"


def event(
    event_type: str,
    payload: object,
    *,
    stream: str = ROOM,
    actor: Actor = CHARACTER,
) -> StoredEvent:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return StoredEvent(
        "01JD0000000000000000000009", stream, event_type, actor, raw, datetime.now(UTC)
    )


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (event("say", {"character_name": "Alice", "message": "hi"}), ['Alice says, "hi"']),
        (event("say", {"message": "Echo: hi"}, actor=ECHO_BOT), ['echo-bot says, "Echo: hi"']),
        (event("say", {"message": "hi"}), ['01JD0000 says, "hi"']),
        (event("pose", {"character_name": "Alice", "message": "waves."}), ["Alice waves."]),
        (
            event("pose", {"character_name": "Alice", "message": "'s hat", "no_space": True}),
            ["Alice's hat"],
        ),
        (event("command_response", {"text": "line 1\nline 2\n"}), ["line 1", "line 2"]),
        (event("command_response", {"text": ""}), []),
        (event("command_error", {"text": "nope"}, actor=SYSTEM), ["[ERROR] nope"]),
        (event("command_error", {"text": "a\nb"}), ["[ERROR] a", "[ERROR] b"]),
        (event("system", {"text": "Server restarting."}), ["Server restarting."]),
        (event("arrive", {"message": "Alice arrives."}), ["Alice arrives."]),
        (event("mystery", {"other": 1}), ["<event: mystery>"]),
        (event("mystery", "not json"), ["<event: mystery>"]),
        (event("say", [1, 2]), ["<event: say>"]),
    ],
)
def test_renders_by_event_type(item: StoredEvent, expected: list[str]) -> None:
    assert render_event(item) == expected


def test_scene_streams_are_prefixed_with_the_scene() -> None:
    pose = {"character_name": "Alice", "message": "bows."}
    notice = {"text": "Bob joined the scene."}
    assert render_event(event("pose", pose, stream="scene:scene-01J:ic")) == [
        "[scene-01J] Alice bows."
    ]
    assert render_event(event("system", notice, stream="scene:scene-01J:ooc")) == [
        "[scene-01J OOC] Bob joined the scene."
    ]


def test_control_characters_never_reach_the_terminal() -> None:
    payload = {"character_name": "Eve\x1b[2J", "message": "ring\x07 the\tbell\r"}
    assert render_event(event("say", payload)) == ['Eve[2J says, "ring the\tbell"']
