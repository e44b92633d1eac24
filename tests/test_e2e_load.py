"""A short load run, end to end: a dozen telnet players run the scene workflow on the
packaged host for a few seconds. No command may fail, and every line a player was shown
must come from an event in the store. (The full run, 50 players for 60 s with a printed
table, is ``./pants run benchmarks/load:bench``.)"""

from __future__ import annotations

from pathlib import Path

from e2e_host import running_host
from load.report import figures, render_table
from load.store_check import PlayerView, check_against_store, player_streams
from load.workload import WorkloadSettings, connected_players, run_scene_workload

SETTINGS = WorkloadSettings(
    players=12, duration=8.0, group_size=4, rounds_per_scene=2, think_time=0.2
)


async def test_players_running_scenes_get_every_answer_and_lose_no_event(
    postgres_dsn: str, tmp_path: Path
) -> None:
    async with (
        running_host(postgres_dsn, tmp_path) as host,
        connected_players(host.telnet_port, SETTINGS.players) as players,
    ):
        streams = await player_streams(postgres_dsn, [p.name for p in players])
        result = await run_scene_workload(players, SETTINGS)
        views = [PlayerView(p.name, streams[p.name], p.event_lines) for p in players]
    check = await check_against_store(postgres_dsn, views)
    print(f"\nshort load run:\n{render_table(figures(SETTINGS.players, result, check))}")

    assert result.scenes, "no scene was created"
    assert not result.errors, [(e.command, e.answer) for e in result.errors[:10]]
    assert check.ok, check.describe()
    traceback = [line for v in views for line in v.lines if "Traceback" in line]
    assert not traceback, traceback
