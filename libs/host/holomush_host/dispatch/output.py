"""A command's text for the player, written as an event on ``character:<id>``.

Output goes through the event store like everything else a player sees, so every
connection of the character gets it, in order with the rest (reference §4.10: type
``command_response`` or ``command_error``, actor system, payload ``{"text": …}``).
"""

from __future__ import annotations

import json
from typing import Final, Protocol

from holomush_host.data.event_types import Actor, ActorKind, StoredEvent
from holomush_host.data.validation import MAX_PAYLOAD_BYTES
from holomush_host.data.world import character_stream
from holomush_host.dispatch.rendering import COMMAND_ERROR, COMMAND_RESPONSE

SYSTEM_ACTOR: Final = Actor(ActorKind.SYSTEM, "system")
TRUNCATED_NOTICE: Final = "\n… (output truncated)"
#: Leaves room below the event store's payload limit for the JSON around the text.
_PAYLOAD_BUDGET: Final = MAX_PAYLOAD_BYTES - 1024


class EventAppender(Protocol):
    async def append(
        self, stream: str, event_type: str, actor: Actor, payload: str | bytes = "{}"
    ) -> StoredEvent: ...


def output_payload(text: str) -> str:
    """``{"text": …}`` with trailing newlines trimmed, cut short to fit the payload limit."""
    text = text.rstrip("\n")
    payload = _encode(text)
    keep = len(text)
    while len(payload.encode("utf-8")) > _PAYLOAD_BUDGET:
        keep = keep * 9 // 10
        payload = _encode(text[:keep] + TRUNCATED_NOTICE)
    return payload


def _encode(text: str) -> str:
    return json.dumps({"text": text}, ensure_ascii=False)


class CommandOutput:
    def __init__(self, events: EventAppender) -> None:
        self._events = events

    async def respond(self, character_id: str, text: str) -> None:
        await self._write(character_id, COMMAND_RESPONSE, text)

    async def error(self, character_id: str, text: str) -> None:
        await self._write(character_id, COMMAND_ERROR, text)

    async def _write(self, character_id: str, event_type: str, text: str) -> None:
        if not text.strip():
            return
        await self._events.append(
            character_stream(character_id), event_type, SYSTEM_ACTOR, output_payload(text)
        )
