"""How an event reads on a player's terminal (reference §8.1 rendering table).

| type               | shown as                                             |
|--------------------|------------------------------------------------------|
| ``say``            | ``<name> says, "<message>"``                         |
| ``pose``           | ``<name> <message>`` (no space if ``no_space``)      |
| ``command_response`` | the payload ``text``                               |
| ``command_error``  | ``[ERROR] <text>``                                   |
| anything else      | ``text`` or ``message``, else ``<event: TYPE>``      |

``<name>`` is the payload's ``character_name``, else the actor: a plugin by its name
(``echo-bot says, "Echo: hi"``), a character by the start of its id. Events of a scene's
streams are prefixed with the scene (``[scene-01J…] Alice waves.``, OOC marked as such).
Control characters other than newline and tab are removed, so no event can drive a
player's terminal (colours, cursor moves, bells).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Final

from holomush_host.data.event_types import StoredEvent
from holomush_sdk.events import ActorKind

COMMAND_RESPONSE: Final = "command_response"
COMMAND_ERROR: Final = "command_error"
_ERROR_PREFIX: Final = "[ERROR] "
_SCENE_STREAM: Final = re.compile(r"scene:(?P<scene>[^:]+)(?::(?P<channel>ic|ooc))?")
_SHORT_ID: Final = 8


def render_event(event: StoredEvent) -> list[str]:
    """The lines to show for ``event`` (empty when there is nothing to show)."""
    payload = _payload(event.payload)
    text = _body(event, payload)
    lines = [_clean(line) for line in text.rstrip("\n").split("\n")] if text else []
    prefix = _scene_prefix(event.stream)
    return [f"{prefix}{line}" for line in lines] if prefix else lines


def _body(event: StoredEvent, payload: dict[str, Any]) -> str:
    message = _string(payload, "message")
    if event.type == "say" and message:
        return f'{_speaker(event, payload)} says, "{message}"'
    if event.type == "pose" and message:
        separator = "" if payload.get("no_space") is True else " "
        return f"{_speaker(event, payload)}{separator}{message}"
    text = _string(payload, "text")
    if event.type == COMMAND_RESPONSE:
        return text
    if event.type == COMMAND_ERROR:
        return "\n".join(_ERROR_PREFIX + line for line in text.split("\n")) if text else ""
    return text or message or f"<event: {event.type}>"


def _speaker(event: StoredEvent, payload: dict[str, Any]) -> str:
    name = _string(payload, "character_name")
    if name:
        return name
    actor = event.actor
    if actor.kind is ActorKind.CHARACTER:
        return actor.id[:_SHORT_ID]
    return actor.id


def _scene_prefix(stream: str) -> str:
    match = _SCENE_STREAM.fullmatch(stream)
    if match is None:
        return ""
    scene = match["scene"]
    return f"[{scene} OOC] " if match["channel"] == "ooc" else f"[{scene}] "


def _payload(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _string(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""


def _clean(line: str) -> str:
    return "".join(
        char for char in line if char == "\t" or unicodedata.category(char) not in ("Cc", "Cs")
    )
