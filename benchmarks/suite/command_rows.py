"""Rows 1 and 2: the transport floor and the host's HandleCommand round trip.

1. floor: a bare grpcio Health.Check between two Python processes over the unix socket,
   with HoloMUSH mTLS exactly as the host sets it up for a plugin (the transport
   benchmark's `BarePeer`);
2. a no-op command through the host's real ``PluginManager.handle_command`` into the
   suite's no-op plugin (a real process served with ``holomush_sdk.serve``), which adds
   request validation, actor metadata, in-flight tracking, the SDK's hooks and the
   response conversion.

Both at concurrency 1 and 16, in alternating rounds so that machine noise hits both alike.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from holomush_host.data.host_data import HostData
from holomush_host.data.ids import new_ulid
from holomush_host.plugins.config import PluginManagerConfig
from holomush_host.plugins.manager import PluginManager
from holomush_sdk.commands import CommandRequest
from holomush_sdk.goplugin.tls import TransportSecurity
from suite.memory import Memory, peak_memory
from suite.noop_plugin import COMMAND, PLUGIN_NAME
from suite.plugin_dirs import add_noop
from suite.stats import CallStats, measure_calls, merge
from suite.table import Row, verdict
from transport.bench_transport import BarePeer

__all__ = ["CommandSettings", "command_rows"]

CONCURRENCIES = {1: "a", 16: "b"}  # concurrency → the row's letter
TARGET_RATIO = 1.5


@dataclass(frozen=True)
class CommandSettings:
    rounds: int = 5
    calls_per_round: int = 1000
    warmup_calls: int = 300


@contextlib.asynccontextmanager
async def _noop_manager(database_url: str) -> AsyncIterator[PluginManager]:
    with tempfile.TemporaryDirectory(prefix="holomush-bench-noop-") as scratch:
        plugins_dir = Path(scratch)
        add_noop(plugins_dir)
        data = await HostData.open(database_url)
        manager = PluginManager(
            PluginManagerConfig(plugins_dir, security=TransportSecurity.mtls()), data
        )
        try:
            report = await manager.start()
            if report.problems:
                raise RuntimeError(f"the no-op plugin did not load: {report}")
            yield manager
        finally:
            await manager.stop()
            await data.close()


def _noop_request() -> CommandRequest:
    return CommandRequest(
        command=COMMAND,
        character_id=new_ulid(),
        character_name="Bench",
        location_id=new_ulid(),
        session_id=new_ulid(),
        player_id=new_ulid(),
        invoked_as=COMMAND,
    )


async def command_rows(
    database_url: str, settings: CommandSettings, *, deadline: float
) -> tuple[list[Row], Memory | None]:
    """The rows, and the no-op plugin's peak memory (for the memory rows)."""
    floor: dict[int, list[CallStats]] = {c: [] for c in CONCURRENCIES}
    ours: dict[int, list[CallStats]] = {c: [] for c in CONCURRENCIES}
    noop_memory: Memory | None = None
    tls = TransportSecurity.mtls()
    bare = await BarePeer.start(tls)
    try:
        async with _noop_manager(database_url) as manager:
            request = _noop_request()

            async def command() -> None:
                await manager.handle_command(PLUGIN_NAME, request)

            await measure_calls(bare.ping, count=settings.warmup_calls)
            await measure_calls(command, count=settings.warmup_calls)
            for index in range(settings.rounds):
                if index and time.monotonic() > deadline:
                    break
                for concurrency in CONCURRENCIES:
                    count = settings.calls_per_round
                    floor[concurrency].append(
                        await measure_calls(bare.ping, count=count, concurrency=concurrency)
                    )
                    ours[concurrency].append(
                        await measure_calls(command, count=count, concurrency=concurrency)
                    )
            pid = (await manager.wait_running(PLUGIN_NAME)).pid
            noop_memory = peak_memory(pid) if pid is not None else None
    finally:
        await bare.close()
    rows: list[Row] = []
    for concurrency, letter in CONCURRENCIES.items():
        stats = merge(floor[concurrency])
        rows.append(
            Row(
                f"1{letter}",
                f"floor: bare grpcio Health.Check, mTLS, unix socket, concurrency {concurrency}",
                stats.summary(),
            )
        )
    for concurrency, letter in CONCURRENCIES.items():
        stats, base = merge(ours[concurrency]), merge(floor[concurrency])
        ratio = stats.p50 / base.p50
        rows.append(
            Row(
                f"2{letter}",
                "host → plugin HandleCommand (no-op), PluginManager.handle_command, "
                f"concurrency {concurrency}",
                f"{stats.summary()}; p50 = {ratio:.2f}x floor",
                f"p50 ≤ {TARGET_RATIO}x floor (1{letter})",
                verdict(ratio <= TARGET_RATIO),
            )
        )
    return rows, noop_memory
