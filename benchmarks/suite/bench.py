"""The HoloMUSH benchmark suite: ``./pants run benchmarks/suite:bench [-- --quick|--tiny]``
(which also times the plugin bundles' start-up as deployed, ``--bundle``).

Measures, in one run on one machine, and prints as one Markdown table (also written to
``--out``, default ``dist/benchmarks.md``):

1. the transport floor: bare grpcio Health.Check between two processes, HoloMUSH mTLS;
2. host → plugin HandleCommand (no-op) through ``PluginManager.handle_command``;
3. a player's ``scene info <id>`` over telnet against the real host and core-scenes;
4. ``say`` events through echo-bot and back into the event store: rate and lag;
5. core-scenes create + join + pose per second (commands path over telnet);
6. plugin start-up (cold and warm) and host boot with embedded PostgreSQL;
7. peak RSS of the host and of each plugin.

Rows with a target say PASS or MISS. BENCHMARKS.md at the repo root explains each row.
The full run takes about 75 s here; ``--quick`` about half; ``--tiny`` (the smoke
test's) a few iterations of everything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from holomush_host.storage.embedded import EmbeddedPostgres, temporary_postgres
from suite.command_rows import CommandSettings, command_rows
from suite.delivery_rows import DeliverySettings, delivery_rows
from suite.host_process import host_under_test
from suite.memory_rows import memory_rows
from suite.player_rows import PlayerSettings, scene_cycle_row, scene_info_row
from suite.plugin_dirs import add_core_scenes, add_echo_bot
from suite.startup_rows import StartupSettings, host_boot_rows, plugin_startup_rows
from suite.table import Row, render_table

__all__ = ["SuiteSettings", "main", "run_suite"]

DEFAULT_OUT = Path("dist/benchmarks.md")


@dataclass(frozen=True)
class SuiteSettings:
    commands: CommandSettings = field(default_factory=CommandSettings)
    startup: StartupSettings = field(default_factory=StartupSettings)
    players: PlayerSettings = field(default_factory=PlayerSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    budget: float = 200.0
    """Seconds; the repeated measurements stop repeating once it is spent."""


QUICK = SuiteSettings(
    commands=CommandSettings(rounds=3, calls_per_round=500, warmup_calls=200),
    startup=StartupSettings(warm_starts=4),
    players=PlayerSettings(info_calls=200, info_warmup=20, scene_pairs=4, cycles_per_pair=15),
    delivery=DeliverySettings(seconds=5.0, paced_seconds=3.0),
    budget=100.0,
)
TINY = SuiteSettings(
    commands=CommandSettings(rounds=1, calls_per_round=20, warmup_calls=5),
    startup=StartupSettings(warm_starts=1),
    players=PlayerSettings(info_calls=5, info_warmup=1, scene_pairs=2, cycles_per_pair=2),
    delivery=DeliverySettings(seconds=1.0, players=8, rooms=8, paced_seconds=0.5),
    budget=30.0,
)


@contextlib.asynccontextmanager
async def _databases() -> AsyncIterator[tuple[str, str]]:
    """Two databases on one temporary embedded PostgreSQL: row 2's and the host's."""
    async with temporary_postgres() as server:
        yield await _database(server, "bench_commands"), await _database(server, "bench_host")


async def _database(server: EmbeddedPostgres, name: str) -> str:
    return await server.ensure_database(name)


@contextlib.contextmanager
def _phase(what: str) -> Iterator[None]:
    """Progress on stderr (stdout is the table)."""
    started = time.monotonic()
    print(f"bench: {what}…", file=sys.stderr, flush=True)
    yield
    print(f"bench: {what}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)


async def run_suite(
    settings: SuiteSettings, scratch: Path, bundles: Sequence[Path] = ()
) -> list[Row]:
    deadline = time.monotonic() + settings.budget
    with _phase("plugin start-up (6a-c, bundles 6f-)"):
        rows = await plugin_startup_rows(settings.startup, deadline=deadline, bundles=bundles)
    with _phase("host boot (6d-e)"):
        rows += await host_boot_rows(scratch)
    async with contextlib.AsyncExitStack() as stack:
        with _phase("embedded PostgreSQL for rows 1-5"):
            commands_db, host_db = await stack.enter_async_context(_databases())
        with _phase("floor and HandleCommand (1, 2)"):
            command_results, noop_memory = await command_rows(
                commands_db, settings.commands, deadline=deadline
            )
        rows += command_results
        plugins_dir = scratch / "host-plugins"
        plugins_dir.mkdir()
        add_echo_bot(plugins_dir)
        add_core_scenes(plugins_dir)
        with _phase("start of the host under test"):
            host = await stack.enter_async_context(
                host_under_test(
                    plugins_dir, host_db, scratch / "host-data", scratch / "host-under-test.log"
                )
            )
        with _phase("player commands (3, 5)"):
            rows.append(await scene_info_row(host.telnet_port, settings.players))
            rows.append(await scene_cycle_row(host.telnet_port, settings.players))
        with _phase("event delivery (4)"):
            rows += await delivery_rows(host, settings.delivery)
        rows += memory_rows(host.pid, host.plugins, noop_memory)
    return sorted(rows, key=lambda row: (int(row.number[0]), row.number))


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _machine() -> str:
    return (
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def _parse(argv: Sequence[str] | None) -> tuple[SuiteSettings, Path, str, list[Path]]:
    parser = argparse.ArgumentParser(description="HoloMUSH benchmark suite (one Markdown table).")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="about half the full run's time")
    size.add_argument("--tiny", action="store_true", help="a few iterations per row (smoke test)")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"write the table here (default {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--bundle",
        type=Path,
        action="append",
        default=[],
        help="also time this plugin bundle's start-up as deployed (repeatable)",
    )
    parser.add_argument(
        "--delivery-seconds", type=float, help="length of the sustained delivery run (row 4a)"
    )
    args = parser.parse_args(argv)
    settings = TINY if args.tiny else QUICK if args.quick else SuiteSettings()
    if args.delivery_seconds is not None:
        if args.delivery_seconds <= 0:
            parser.error("--delivery-seconds must be positive")
        settings = replace(
            settings, delivery=replace(settings.delivery, seconds=args.delivery_seconds)
        )
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    for bundle in args.bundle:
        if not bundle.is_file():
            parser.error(f"--bundle {bundle}: no such file")
    return settings, args.out, mode, args.bundle


def main(argv: Sequence[str] | None = None) -> int:
    settings, out, mode, bundles = _parse(argv)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    started, load_before = time.monotonic(), _load()
    scratch = Path(tempfile.mkdtemp(prefix="holomush-bench-"))
    os.chmod(scratch, 0o755)  # the embedded PostgreSQL's own user must reach its data dir
    try:
        rows = asyncio.run(run_suite(settings, scratch, bundles))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = (
        f"{render_table(rows)}\n\n"
        f"Mode: {mode}; {time.monotonic() - started:.0f} s; {_machine()}; "
        f"load average (1, 5, 15 min) {load_before} at the start, {_load()} at the end.\n"
    )
    print(report, end="")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
