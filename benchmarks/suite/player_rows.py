"""Rows 3 and 5: what players do over telnet, against the host under test.

3. ``scene info <id>``, one player, one command at a time: telnet line in → dispatcher
   (parse, authorization with the per-scene policy through core-scenes' attribute
   resolver) → HandleCommand into core-scenes → SceneService → PostgreSQL → rendered
   answer out;
5. the commands path of a scene's life: a player ``scene create``s, a second one
   ``scene join``s, the first ``scene pose``s and sees the pose arrive on the scene's
   stream; several pairs at once.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from suite.stats import CallStats, Latencies, format_ms, measure_calls
from suite.table import Row
from suite.telnet_player import TelnetPlayer

__all__ = ["PlayerSettings", "scene_cycle_row", "scene_info_row"]

SCENE_ID = r"scene-[0-9A-Z]{26}"
_LAST_INFO_LINE = r"^Participants: [^\r\n]*\r?\n"


@dataclass(frozen=True)
class PlayerSettings:
    info_calls: int = 500
    info_warmup: int = 50
    scene_pairs: int = 4
    cycles_per_pair: int = 40


async def _create_scene(player: TelnetPlayer, title: str) -> str:
    return (await player.command(f"scene create {title}", rf"Scene created: ({SCENE_ID})"))[1]


async def scene_info_row(port: int, settings: PlayerSettings) -> Row:
    async with await TelnetPlayer.connect_guest(port) as player:
        scene = await _create_scene(player, "Benchmark tea")

        async def info() -> None:
            await player.command(f"scene info {scene}", _LAST_INFO_LINE)

        await measure_calls(info, count=settings.info_warmup)
        stats = await measure_calls(info, count=settings.info_calls)
    return Row(
        "3",
        "player command over telnet: `scene info <id>` → core-scenes → PostgreSQL, "
        "one player, sequential",
        stats.summary("commands"),
    )


async def _scene_cycles(port: int, pair: int, cycles: int) -> list[float]:
    """``cycles`` rounds of create, join and pose seen; the time of each."""
    async with (
        await TelnetPlayer.connect_guest(port) as owner,
        await TelnetPlayer.connect_guest(port) as guest,
    ):
        samples = []
        for cycle in range(cycles):
            started = time.perf_counter()
            scene = await _create_scene(owner, f"Pair {pair} scene {cycle}")
            await guest.command(f"scene join {scene}", rf"Joined scene {scene}\.")
            await owner.command(
                f"scene pose smiles {cycle}.",
                rf"^\[{scene}\] {re.escape(owner.name)} smiles {cycle}\.",
            )
            samples.append(time.perf_counter() - started)
        return samples


async def scene_cycle_row(port: int, settings: PlayerSettings) -> Row:
    await _scene_cycles(port, 0, 2)  # warm up
    started = time.perf_counter()
    per_pair = await asyncio.gather(
        *(
            _scene_cycles(port, pair, settings.cycles_per_pair)
            for pair in range(settings.scene_pairs)
        )
    )
    wall = time.perf_counter() - started
    stats = CallStats(
        Latencies([s for samples in per_pair for s in samples]), wall, settings.scene_pairs
    )
    return Row(
        "5",
        "core-scenes create + join + pose (commands path over telnet, PostgreSQL), "
        f"{settings.scene_pairs} player pairs at once",
        f"{stats.per_second:,.1f} scenes/s (create+join+pose each; n={stats.count}); "
        f"one cycle p50 {format_ms(stats.p50)}, p99 {format_ms(stats.p99)}",
    )
