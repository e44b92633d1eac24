"""Rendering a scene's stream history for ``scene log``."""

from __future__ import annotations

import json
from typing import Any

from holomush_sdk import Event

__all__ = ["render_event"]


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""


def render_event(event: Event) -> str | None:
    """One line for `event` (as the host shows it), or None when it has nothing to show."""
    try:
        payload = json.loads(event.payload) if event.payload else {}
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    name = _text(payload, "character_name") or event.actor_id
    message = _text(payload, "message")
    if event.type == "pose" and message:
        separator = "" if payload.get("no_space") is True else " "
        return f"{name}{separator}{message}"
    if event.type == "say" and message:
        return f'{name} says, "{message}"'
    return _text(payload, "text") or message or None
