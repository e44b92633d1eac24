"""Event store throughput: ``./pants run libs/host/holomush_host/data/bench_events.py``.

Prints events/s for sequential single appends, concurrent single appends (group commit),
batched appends (`append_many`), and appends delivered live to subscribers. Uses the
database in ``--database-url`` / ``HOLOMUSH_DATABASE_URL`` (a throw-away schema, dropped
afterwards), or else a temporary embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from psycopg import sql

from holomush_host.data.connection import connect_host, host_conninfo
from holomush_host.data.event_store import EventStore
from holomush_host.data.event_types import Actor, ActorKind, EventDraft
from holomush_host.data.host_data import HostData

__all__ = ["BenchResult", "main", "run_benchmark"]

_ACTOR = Actor(ActorKind.CHARACTER, "01J0Z3V6Q2Y8K7M4N5P6R7S8T9")
_PAYLOAD = json.dumps({"character_name": "Guest-1", "message": "Hello there, everyone!"})


@dataclass(frozen=True)
class BenchResult:
    name: str
    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


async def run_benchmark(database_url: str, events: int = 5000) -> list[BenchResult]:
    """Every case with durable commits, then the one-at-a-time case with relaxed ones."""
    results = await _run_cases(database_url, events, synchronous_commit=True)
    relaxed = await _run_cases(database_url, events, synchronous_commit=False, only_first=True)
    return [*results, *relaxed]


async def _run_cases(
    database_url: str, events: int, *, synchronous_commit: bool, only_first: bool = False
) -> list[BenchResult]:
    schema = f"holomush_bench_{secrets.token_hex(4)}"
    data = await HostData.open(database_url, schema=schema, synchronous_commit=synchronous_commit)
    suffix = "" if synchronous_commit else " (synchronous_commit off)"
    try:
        store = data.events
        cases: list[tuple[str, int, Callable[[int], Awaitable[None]]]] = [
            ("single appends, one at a time", min(events, 2000), lambda n: _sequential(store, n)),
            ("single appends, 64 concurrent callers", events, lambda n: _concurrent(store, n, 64)),
            ("append_many, 100 per call", events, lambda n: _batched(store, n, 100)),
            ("append_many, 100 per call, 4 callers", events, lambda n: _batched(store, n, 100, 4)),
            ("concurrent appends + 10 live subscribers", events, lambda n: _delivered(store, n)),
        ]
        results = []
        for name, count, case in cases[:1] if only_first else cases:
            await case(min(count, 200))  # warm up connections and caches
            started = time.perf_counter()
            await case(count)
            results.append(BenchResult(name + suffix, count, time.perf_counter() - started))
        return results
    finally:
        await data.close()
        conn = await connect_host(host_conninfo(database_url, schema))
        async with conn:
            await conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def format_table(results: Sequence[BenchResult]) -> str:
    width = max(len(result.name) for result in results)
    lines = [f"{'case':<{width}}  {'events':>7}  {'seconds':>8}  {'events/s':>10}"]
    lines.append("-" * len(lines[0]))
    for result in results:
        lines.append(
            f"{result.name:<{width}}  {result.events:>7}  {result.seconds:>8.3f}"
            f"  {result.per_second:>10,.0f}"
        )
    return "\n".join(lines)


async def _sequential(store: EventStore, count: int) -> None:
    for _ in range(count):
        await store.append("location:bench-seq", "say", _ACTOR, _PAYLOAD)


async def _concurrent(store: EventStore, count: int, callers: int) -> None:
    async def caller(share: int) -> None:
        for _ in range(share):
            await store.append("location:bench-conc", "say", _ACTOR, _PAYLOAD)

    await asyncio.gather(*(caller(share) for share in _shares(count, callers)))


async def _batched(store: EventStore, count: int, size: int, callers: int = 1) -> None:
    async def caller(share: int) -> None:
        for start in range(0, share, size):
            batch = min(size, share - start)
            await store.append_many(
                [EventDraft("location:bench-batch", "say", _ACTOR, _PAYLOAD)] * batch
            )

    await asyncio.gather(*(caller(share) for share in _shares(count, callers)))


async def _delivered(store: EventStore, count: int) -> None:
    stream = f"location:bench-live-{secrets.token_hex(3)}"
    subscriptions = [store.subscribe([stream], max_pending=count + 1) for _ in range(10)]

    async def drain(index: int) -> None:
        subscription = subscriptions[index]
        for _ in range(count):
            await anext(subscription)

    readers = [asyncio.create_task(drain(index)) for index in range(len(subscriptions))]

    async def caller(share: int) -> None:
        for _ in range(share):
            await store.append(stream, "say", _ACTOR, _PAYLOAD)

    await asyncio.gather(*(caller(share) for share in _shares(count, 64)))
    await asyncio.gather(*readers)
    for subscription in subscriptions:
        subscription.close()


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


async def _main(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=os.environ.get("HOLOMUSH_DATABASE_URL"))
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args(argv)
    if args.database_url:
        results = await run_benchmark(args.database_url, args.events)
    else:
        from holomush_host.storage.embedded import temporary_postgres

        print("no --database-url: starting a temporary embedded PostgreSQL", file=sys.stderr)
        async with temporary_postgres() as server:
            results = await run_benchmark(
                await server.ensure_database("holomush_bench"), args.events
            )
    print(format_table(results))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(_main(argv))


if __name__ == "__main__":
    raise SystemExit(main())
