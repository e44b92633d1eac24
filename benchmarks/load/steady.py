"""Steady load for fault tests: players sit in scenes and keep posing, saying and looking
at their scene until told to stop, whatever happens to the plugins meanwhile.

`seat_players` puts groups of players into fresh scenes; `SteadyLoad` then runs one loop
per player (``scene pose``, ``say``, ``scene info``, a pause after each) and records every
outcome, so that a test can wait for "the first command that worked after t".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Final

from load.player import CommandOutcome, LoadPlayer
from load.scene_commands import (
    create_scene,
    join_scene,
    pose,
    run,
    say,
    scene_id_of,
    scene_info,
)

__all__ = ["ECHO_LINE", "SceneSeat", "SteadyLoad", "seat_players"]

#: echo-bot's answer to a say of this workload, with the say's serial number.
ECHO_LINE: Final = re.compile(r'echo-bot says, "Echo: Line n(\d+)"')


@dataclass(frozen=True)
class SceneSeat:
    player: LoadPlayer
    scene_id: str
    title: str


async def seat_players(
    players: Sequence[LoadPlayer],
    group_size: int,
    *,
    timeout: float,  # noqa: ASYNC109 - per command
) -> list[SceneSeat]:
    """Groups of ``group_size``: the first creates a scene, the others join it."""
    seats: list[SceneSeat] = []
    for number, start in enumerate(range(0, len(players), group_size), 1):
        leader, *members = players[start : start + group_size]
        title = f"Steady {number}"
        created = await run(leader, create_scene(title), timeout=timeout)
        scene_id = scene_id_of(created)
        if scene_id is None:
            raise RuntimeError(f"{leader.name} could not create a scene: {created.answer!r}")
        for member in members:
            joined = await run(member, join_scene(scene_id), timeout=timeout)
            if not joined.ok:
                raise RuntimeError(f"{member.name} could not join {scene_id}: {joined.answer!r}")
        seats.extend(SceneSeat(p, scene_id, title) for p in (leader, *members))
    return seats


class SteadyLoad:
    def __init__(
        self, seats: Sequence[SceneSeat], *, think_time: float, command_timeout: float
    ) -> None:
        self._seats = list(seats)
        self._think_time = think_time
        self._timeout = command_timeout
        self._serials = itertools.count(1)
        self._last_serial = 0
        self._recorded = asyncio.Condition()
        self._stop = asyncio.Event()
        #: Every command's outcome, in the order the answers came.
        self.outcomes: list[CommandOutcome] = []

    @property
    def last_serial(self) -> int:
        """The serial number of the newest say or pose text so far."""
        return self._last_serial

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[SteadyLoad]:
        """The player loops run inside the block; leaving it lets each finish its command."""
        async with asyncio.TaskGroup() as tasks:
            for seat in self._seats:
                tasks.create_task(self._loop(seat))
            try:
                yield self
            finally:
                self._stop.set()

    async def first_success(
        self,
        accepted: Callable[[CommandOutcome], bool],
        *,
        timeout: float,  # noqa: ASYNC109 - one limit over many outcomes
    ) -> CommandOutcome:
        """The first outcome (in answer order) that worked and that ``accepted`` takes."""
        checked = 0
        async with asyncio.timeout(timeout), self._recorded:
            while True:
                for outcome in self.outcomes[checked:]:
                    if outcome.ok and accepted(outcome):
                        return outcome
                checked = len(self.outcomes)
                await self._recorded.wait()

    async def successes_after(
        self,
        when: float,
        kinds: Collection[str],
        *,
        count: int,
        timeout: float,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``count`` commands of ``kinds`` sent after ``when`` have worked."""
        async with asyncio.timeout(timeout), self._recorded:
            await self._recorded.wait_for(
                lambda: (
                    sum(o.ok and o.kind in kinds and o.sent_at > when for o in self.outcomes)
                    >= count
                )
            )

    async def _loop(self, seat: SceneSeat) -> None:
        player = seat.player
        while not self._stop.is_set():
            for command in (
                pose(seat.scene_id, player.name, f"acts (n{self._next_serial()})."),
                say(player.name, f"Line n{self._next_serial()}"),
                scene_info(seat.scene_id, seat.title),
            ):
                await self._record(await run(player, command, timeout=self._timeout))
                await self._pause()
                if self._stop.is_set():
                    return

    def _next_serial(self) -> int:
        self._last_serial = next(self._serials)
        return self._last_serial

    async def _record(self, outcome: CommandOutcome) -> None:
        async with self._recorded:
            self.outcomes.append(outcome)
            self._recorded.notify_all()

    async def _pause(self) -> None:
        # The pause between commands ends early when the load is stopped.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), self._think_time)
