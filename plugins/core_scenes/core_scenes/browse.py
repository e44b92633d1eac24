"""The ``scenes [--tags tag1,tag2]`` command: browse the running scenes one may join."""

from __future__ import annotations

from core_scenes import command_text as text
from core_scenes.model import ACTIVE_STATES
from core_scenes.service import SceneService
from core_scenes.service_errors import SceneServiceError
from holomush.scene.v1 import scene_pb2
from holomush_sdk import CommandRequest, CommandResponse, errorf, ok

__all__ = ["BROWSE_LIMIT", "browse_scenes", "parse_tags"]

BROWSE_LIMIT = 50


def parse_tags(args: str) -> list[str] | None:
    """The tags of ``--tags a,b`` / ``--tags=a,b`` (``[]`` for no arguments); None when
    the arguments are anything else."""
    tokens = args.split()
    if not tokens:
        return []
    if len(tokens) == 1 and tokens[0].startswith("--tags="):
        value = tokens[0].removeprefix("--tags=")
    elif len(tokens) == 2 and tokens[0] == "--tags":
        value = tokens[1]
    else:
        return None
    tags = [tag.strip() for tag in value.split(",") if tag.strip()]
    return tags or None


def _line(scene: scene_pb2.SceneInfo) -> str:
    people = sum(1 for p in scene.participants if p.role in ("owner", "member"))
    details = [scene.state, scene.visibility, f"{people} participant{'s' if people != 1 else ''}"]
    if scene.tags:
        details.append("tags: " + ", ".join(scene.tags))
    return f"  {scene.id}  {scene.title}  ({'; '.join(details)})"


async def browse_scenes(service: SceneService, req: CommandRequest) -> CommandResponse:
    """Active and paused scenes visible to the caller, newest first."""
    tags = parse_tags(req.args)
    if tags is None:
        return errorf(text.SCENES_USAGE)
    try:
        response = await service.list_scenes(
            scene_pb2.ListScenesRequest(
                character_id=req.character_id, tags=tags, limit=BROWSE_LIMIT
            ),
            states=sorted(ACTIVE_STATES),
        )
    except SceneServiceError as err:
        return text.failed("Failed to list scenes", err)
    if not response.scenes:
        if tags:
            return ok(f"No open scenes tagged {', '.join(tags)}.")
        return ok("No open scenes.")
    header = "Open scenes" + (f" tagged {', '.join(tags)}" if tags else "") + ":"
    return ok("\n".join([header, *map(_line, response.scenes)]))
