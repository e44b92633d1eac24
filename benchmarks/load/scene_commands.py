"""The commands of the scene workflow, each with the exact line that answers it.

Texts are core-scenes' and the host's own (see tests/e2e_scenes.py): ``[<scene>]``
prefixes a scene's IC stream, a say reads ``<name> says, "<text>"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from load.player import CommandOutcome, LoadPlayer

__all__ = [
    "SCENE_ID_PATTERN",
    "Command",
    "create_scene",
    "end_scene",
    "join_scene",
    "leave_scene",
    "pose",
    "run",
    "say",
    "scene_id_of",
    "scene_info",
]

SCENE_ID_PATTERN: Final = r"scene-[0-9A-HJKMNP-TV-Z]{26}"
_CREATED: Final = re.compile(f"Scene created: ({SCENE_ID_PATTERN})")


@dataclass(frozen=True)
class Command:
    text: str
    reply: re.Pattern[str]
    """Matches (in full) the line that shows the command worked."""
    kind: str


def _exact(line: str) -> re.Pattern[str]:
    return re.compile(re.escape(line))


def create_scene(title: str) -> Command:
    return Command(f"scene create {title}", _CREATED, "scene create")


def join_scene(scene_id: str) -> Command:
    return Command(f"scene join {scene_id}", _exact(f"Joined scene {scene_id}."), "scene join")


def leave_scene(scene_id: str) -> Command:
    return Command(f"scene leave {scene_id}", _exact(f"Left scene {scene_id}."), "scene leave")


def end_scene(scene_id: str) -> Command:
    return Command(f"scene end {scene_id}", _exact(f"Scene {scene_id} ended."), "scene end")


def scene_info(scene_id: str, title: str) -> Command:
    return Command(f"scene info {scene_id}", _exact(f"Scene: {title} ({scene_id})"), "scene info")


def pose(scene_id: str, name: str, text: str) -> Command:
    """``scene pose`` in the player's current scene; everyone in it sees the line."""
    return Command(f"scene pose {text}", _exact(f"[{scene_id}] {name} {text}"), "scene pose")


def say(name: str, text: str) -> Command:
    """``say`` in the room (echo-bot answers it, which is not waited for)."""
    return Command(f"say {text}", _exact(f'{name} says, "{text}"'), "say")


async def run(player: LoadPlayer, command: Command, *, timeout: float) -> CommandOutcome:  # noqa: ASYNC109
    return await player.run(command.text, command.reply, kind=command.kind, timeout=timeout)


def scene_id_of(outcome: CommandOutcome) -> str | None:
    """The new scene's ID from a successful ``scene create``."""
    if not outcome.ok or outcome.answer is None:
        return None
    match = _CREATED.fullmatch(outcome.answer)
    return None if match is None else match[1]
