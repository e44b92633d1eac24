"""`./pants run benchmarks/load:bench`: N telnet players run the scene workflow on the
packaged host for D seconds (default 50 for 60 s), then every line they were shown is
looked up in the event store. Prints the figures as Markdown tables; exits 1 when a command
failed or a shown event is missing from the store.

PostgreSQL: ``--database-url`` (the host uses it as given), else the tests' server choice
(``HOLOMUSH_TEST_DATABASE_URL``, a Docker engine, or an embedded server) with a fresh
database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from holomush_testing.postgres import fresh_database, open_postgres_test_server
from load.packaged_host import HostStartError, packaged_host
from load.report import figures, render_table
from load.store_check import PlayerView, check_against_store, player_streams
from load.workload import WorkloadSettings, connected_players, run_scene_workload

__all__ = ["main"]

_DEFAULT_HOST_PEX = Path("dist/libs.host/holomush.pex")
_DEFAULT_BUNDLES = (Path("dist/core-scenes.tar.gz"), Path("dist/echo-bot.tar.gz"))


def _parser() -> argparse.ArgumentParser:
    defaults = WorkloadSettings()
    parser = argparse.ArgumentParser(prog="load-bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=defaults.players)
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds")
    parser.add_argument("--group-size", type=int, default=defaults.group_size)
    parser.add_argument("--rounds", type=int, default=defaults.rounds_per_scene)
    parser.add_argument("--think-time", type=float, default=defaults.think_time, help="seconds")
    parser.add_argument("--host-pex", type=Path, default=_DEFAULT_HOST_PEX)
    parser.add_argument(
        "--bundle",
        type=Path,
        action="append",
        dest="bundles",
        help="a plugin bundle (.tar.gz) to deploy; repeat (default: core-scenes, echo-bot)",
    )
    parser.add_argument("--database-url", help="PostgreSQL for the host (default: see above)")
    return parser


@contextlib.contextmanager
def _database(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with open_postgres_test_server() as server, fresh_database(server, "load_bench") as dsn:
        yield dsn


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _run(args: argparse.Namespace, settings: WorkloadSettings) -> bool:
    bundles: Sequence[Path] = args.bundles or _DEFAULT_BUNDLES
    for path in (args.host_pex, *bundles):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing (run ./pants package first?)")
    with (
        tempfile.TemporaryDirectory(prefix="holomush-load-") as workdir,
        _database(args.database_url) as dsn,
    ):
        _say("starting the packaged host…")
        async with (
            packaged_host(args.host_pex, bundles, dsn, Path(workdir)) as host,
            connected_players(host.telnet_port, settings.players) as players,
        ):
            streams = await player_streams(dsn, [p.name for p in players])
            _say(f"{len(players)} players connected; running for {settings.duration:g} s…")
            result = await run_scene_workload(players, settings)
            views = [PlayerView(p.name, streams[p.name], p.event_lines) for p in players]
        _say("checking every line shown against the event store…")
        check = await check_against_store(dsn, views)
    run = figures(settings.players, result, check)
    print(render_table(run))
    if result.errors:
        print(f"\n{len(result.errors)} command(s) failed, for example:")
        for outcome in result.errors[:10]:
            print(f"  {outcome.command!r} → {outcome.answer or 'no answer in time'}")
    if not check.ok:
        print("\n" + check.describe())
    return run.ok


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        settings = WorkloadSettings(
            players=args.players,
            duration=args.duration,
            group_size=args.group_size,
            rounds_per_scene=args.rounds,
            think_time=args.think_time,
        )
        ok = asyncio.run(_run(args, settings))
    except (ValueError, FileNotFoundError, HostStartError) as exc:
        sys.exit(f"load-bench: {exc}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
