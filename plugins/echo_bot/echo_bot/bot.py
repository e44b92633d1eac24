"""The echo-bot handler: one `say` in, one `say` out."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from holomush_sdk.events import ActorKind, EmitEvent, Event, EventType

logger = logging.getLogger("echo_bot")

ECHO_PREFIX = "Echo: "


def said_message(payload: str) -> str | None:
    """The `message` of a say payload, or None when there is nothing to echo."""
    try:
        data = json.loads(payload)
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    message = data.get("message")
    if not isinstance(message, str) or not message.strip():
        return None
    return message


class EchoBot:
    """Echoes what characters say. Plugin speech (its own included) is never echoed."""

    # async: a plain def would be run in a worker thread, costing a thread hop per event.
    async def handle_event(self, event: Event) -> Sequence[EmitEvent]:
        if event.type != EventType.SAY or event.actor_kind is ActorKind.PLUGIN:
            return ()
        message = said_message(event.payload)
        if message is None:
            logger.debug("ignoring say %s: no message in payload", event.id)
            return ()
        payload = json.dumps({"message": ECHO_PREFIX + message}, ensure_ascii=False)
        return (EmitEvent(stream=event.stream, type=EventType.SAY, payload=payload),)
