from __future__ import annotations

import json

import pytest

from echo_bot.bot import EchoBot, said_message
from holomush_sdk.events import ActorKind, Event, EventType


def say(payload: str, *, actor: ActorKind = ActorKind.CHARACTER, type_: str = "say") -> Event:
    return Event(
        id="01JD0000000000000000000000",
        stream="location:01JD0000000000000000000001",
        type=type_,
        timestamp=1_700_000_000_000,
        actor_kind=actor,
        actor_id="01JD0000000000000000000002",
        payload=payload,
    )


@pytest.mark.parametrize(
    ("message"),
    ["Hello, world!", 'hello "world" ✓', "back\\slash", "tab\tand\nnewline", "  padded  "],
)
async def test_echoes_message_on_same_stream(message: str) -> None:
    payload = json.dumps({"character_name": "Alice", "message": message, "extra": [1, 2]})
    (echo,) = await EchoBot().handle_event(say(payload))
    assert echo.stream == "location:01JD0000000000000000000001"
    assert echo.type == EventType.SAY
    assert json.loads(echo.payload) == {"message": "Echo: " + message}


async def test_unicode_is_kept_readable_in_payload() -> None:
    (echo,) = await EchoBot().handle_event(say(json.dumps({"message": "✓ café"})))
    assert "✓ café" in echo.payload


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "not json",
        "{",
        "[]",
        '"just a string"',
        "null",
        "{}",
        '{"message": ""}',
        '{"message": "   "}',
        '{"message": 42}',
        '{"message": null}',
        '{"text": "wrong key"}',
    ],
)
async def test_ignores_payloads_without_a_message(payload: str) -> None:
    assert list(await EchoBot().handle_event(say(payload))) == []


async def test_ignores_plugin_speech_so_it_cannot_loop() -> None:
    assert (
        list(await EchoBot().handle_event(say('{"message": "Echo: hi"}', actor=ActorKind.PLUGIN)))
        == []
    )


@pytest.mark.parametrize("type_", ["pose", "emit", "system", "arrive"])
async def test_ignores_other_event_types(type_: str) -> None:
    assert list(await EchoBot().handle_event(say('{"message": "hi"}', type_=type_))) == []


async def test_system_actor_speech_is_echoed() -> None:
    assert len(await EchoBot().handle_event(say('{"message": "hi"}', actor=ActorKind.SYSTEM))) == 1


def test_said_message_returns_the_text() -> None:
    assert said_message('{"message": "a\\"b"}') == 'a"b'
