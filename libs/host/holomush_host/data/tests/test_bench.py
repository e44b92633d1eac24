"""The benchmark runs end to end (its numbers are printed by the bench target, not asserted)."""

from __future__ import annotations

from holomush_host.data.bench_events import format_table, run_benchmark
from holomush_host.data.connection import connect_host, host_conninfo


async def test_benchmark_runs_and_cleans_up(postgres_dsn: str) -> None:
    results = await run_benchmark(postgres_dsn, events=40)
    assert [r.events for r in results] == [40] * 6
    assert all(r.per_second > 0 for r in results)
    table = format_table(results)
    assert "append_many, 100 per call" in table
    assert "synchronous_commit off" in table
    conn = await connect_host(host_conninfo(postgres_dsn, "public"))
    async with conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'holomush_bench_%%'"
        )
        assert await cursor.fetchone() == (0,)
