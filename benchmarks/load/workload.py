"""The scene workflow under load: groups of telnet players running scenes over and over.

Players log in as guests and form groups. Each group repeats a cycle until the time is up:
its leader creates a scene, the others join it, everyone poses, says something in the
room (echo-bot answers) and looks at the scene's info a few times, then the members leave
and the leader ends the scene. Every command waits for its own answer, with a pause
between commands like a person typing. The result holds every command's outcome and the
players, whose received lines `load.store_check` then finds in the event store.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from load.player import CommandOutcome, LoadPlayer
from load.scene_commands import (
    Command,
    create_scene,
    end_scene,
    join_scene,
    leave_scene,
    pose,
    run,
    say,
    scene_id_of,
    scene_info,
)

__all__ = ["WorkloadResult", "WorkloadSettings", "connected_players", "run_scene_workload"]

_CONNECT_CONCURRENCY = 8


@dataclass(frozen=True)
class WorkloadSettings:
    players: int = 50
    duration: float = 60.0
    """Seconds during which groups start new scene cycles (a cycle under way finishes)."""
    group_size: int = 5
    rounds_per_scene: int = 3
    """Rounds of pose, say and scene info per player in each scene."""
    think_time: float = 0.5
    """Pause after each answer before a player's next command (people type)."""
    command_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.players < 1 or self.group_size < 1:
            raise ValueError("players and group_size must be at least 1")
        if self.duration <= 0 or self.think_time < 0 or self.command_timeout <= 0:
            raise ValueError("duration and command_timeout must be positive, think_time >= 0")


@dataclass
class WorkloadResult:
    settings: WorkloadSettings
    elapsed: float = 0.0
    outcomes: list[CommandOutcome] = field(default_factory=list)
    scenes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[CommandOutcome]:
        return [o for o in self.outcomes if not o.ok]


@contextlib.asynccontextmanager
async def connected_players(port: int, count: int) -> AsyncIterator[list[LoadPlayer]]:
    """``count`` guests logged in (a few at a time), hung up afterwards."""
    players: list[LoadPlayer] = []
    slots = asyncio.Semaphore(_CONNECT_CONCURRENCY)

    async def connect() -> None:
        async with slots:
            players.append(await LoadPlayer.connect_guest(port))

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(count):
                group.create_task(connect())
        yield players
    finally:
        for player in players:
            await player.close()


async def run_scene_workload(
    players: Sequence[LoadPlayer], settings: WorkloadSettings
) -> WorkloadResult:
    """Run the workflow with ``players`` (grouped in order) for ``settings.duration``."""
    result = WorkloadResult(settings)
    groups = [
        list(players[i : i + settings.group_size])
        for i in range(0, len(players), settings.group_size)
    ]
    workflow = _Workflow(settings, result)
    start = time.monotonic()
    deadline = start + settings.duration
    async with asyncio.TaskGroup() as tasks:
        for number, group in enumerate(groups, 1):
            tasks.create_task(workflow.group_cycles(number, group, deadline))
    result.elapsed = time.monotonic() - start
    return result


class _Workflow:
    def __init__(self, settings: WorkloadSettings, result: WorkloadResult) -> None:
        self._settings = settings
        self._result = result
        self._serial = itertools.count(1)

    async def group_cycles(self, number: int, group: list[LoadPlayer], deadline: float) -> None:
        for cycle in itertools.count(1):
            if time.monotonic() >= deadline:
                return
            await self._cycle(f"Load g{number} c{cycle}", group)

    async def _cycle(self, title: str, group: list[LoadPlayer]) -> None:
        leader, members = group[0], group[1:]
        scene_id = scene_id_of(await self._run(leader, create_scene(title)))
        if scene_id is None:
            return
        self._result.scenes.append(scene_id)
        joined = await asyncio.gather(*(self._run(m, join_scene(scene_id)) for m in members))
        inside = [leader, *(m for m, outcome in zip(members, joined, strict=True) if outcome.ok)]
        await asyncio.gather(*(self._rounds(p, scene_id, title) for p in inside))
        await asyncio.gather(*(self._run(m, leave_scene(scene_id)) for m in inside[1:]))
        await self._run(leader, end_scene(scene_id))

    async def _rounds(self, player: LoadPlayer, scene_id: str, title: str) -> None:
        for _ in range(self._settings.rounds_per_scene):
            await self._run(player, pose(scene_id, player.name, f"acts (n{next(self._serial)})."))
            await self._run(player, say(player.name, f"Line n{next(self._serial)}"))
            await self._run(player, scene_info(scene_id, title))

    async def _run(self, player: LoadPlayer, command: Command) -> CommandOutcome:
        outcome = await run(player, command, timeout=self._settings.command_timeout)
        self._result.outcomes.append(outcome)
        await asyncio.sleep(self._settings.think_time)  # a person reads, then types
        return outcome
