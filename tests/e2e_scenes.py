"""What telnet players see of core-scenes: the exact lines, built from their parts.

The texts are core-scenes' own (plugins/core_scenes/README.md, core_scenes/commands.py);
the scene prefixes are the host's rendering of a scene's streams (``[<id>]`` for the IC
stream, ``[<id> OOC]`` for notices).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from e2e_telnet import TelnetPlayer

SCENE_ID_PATTERN: Final = r"scene-[0-9A-HJKMNP-TV-Z]{26}"


async def create_scene(player: TelnetPlayer, title: str) -> str:
    """``scene create <title>``; returns the new scene's ID."""
    await player.send(f"scene create {title}")
    return (await player.expect_match(f"Scene created: ({SCENE_ID_PATTERN})"))[1]


def pose(scene_id: str, name: str, text: str) -> str:
    return f"[{scene_id}] {name} {text}"


def ooc(scene_id: str, text: str) -> str:
    return f"[{scene_id} OOC] {text}"


def joined_notice(scene_id: str, name: str) -> str:
    return ooc(scene_id, f"{name} joined the scene.")


def left_notice(scene_id: str, name: str) -> str:
    return ooc(scene_id, f"{name} left the scene.")


def ended_notice(scene_id: str, title: str) -> str:
    return ooc(scene_id, f"Scene {title} ({scene_id}) ended.")


def published_notice(scene_id: str, participants: int) -> str:
    return ooc(
        scene_id, f"All {participants} participants consented: the scene log is now published."
    )


def browse_line(
    scene_id: str,
    title: str,
    *,
    participants: int,
    tags: Sequence[str] = (),
    state: str = "active",
    visibility: str = "open",
) -> str:
    """One scene in the ``scenes`` listing; ``participants`` counts owner and members."""
    people = f"{participants} participant{'s' if participants != 1 else ''}"
    details = [state, visibility, people]
    if tags:
        details.append("tags: " + ", ".join(tags))
    return f"  {scene_id}  {title}  ({'; '.join(details)})"


def info_lines(
    scene_id: str,
    title: str,
    *,
    owner_id: str,
    state: str,
    participants: Sequence[str],
    tags: Sequence[str] = (),
    visibility: str = "open",
    pose_order: str = "free",
) -> tuple[str, ...]:
    """``scene info`` of a scene without description, location or content warnings;
    ``participants`` as shown: ``"<name> (<role>)"``."""
    lines = [
        f"Scene: {title} ({scene_id})",
        f"Owner: {owner_id}",
        f"State: {state}",
        f"Visibility: {visibility}",
        f"Pose order: {pose_order}",
    ]
    if tags:
        lines.append(f"Tags: {', '.join(tags)}")
    if participants:
        lines.append(f"Participants: {', '.join(participants)}")
    return tuple(lines)
