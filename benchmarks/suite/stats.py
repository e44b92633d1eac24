"""Timing helpers: percentiles of samples, and call loops at a given concurrency."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from transport.bench_transport import Latencies

__all__ = ["CallStats", "Latencies", "format_ms", "measure_calls", "median", "merge"]


@dataclass(frozen=True)
class CallStats:
    """Round-trip times of calls made by ``concurrency`` callers over ``wall`` seconds."""

    latencies: Latencies
    wall: float
    concurrency: int

    @property
    def count(self) -> int:
        return len(self.latencies.seconds)

    @property
    def p50(self) -> float:
        return self.latencies.percentile(0.50)

    @property
    def p99(self) -> float:
        return self.latencies.percentile(0.99)

    @property
    def per_second(self) -> float:
        return self.count / self.wall if self.wall > 0 else 0.0

    def summary(self, unit: str = "calls") -> str:
        return (
            f"p50 {format_ms(self.p50)}, p99 {format_ms(self.p99)}, "
            f"{self.per_second:,.0f} {unit}/s (n={self.count})"
        )


def merge(parts: Sequence[CallStats]) -> CallStats:
    """Rounds of the same measurement as one: all samples, summed wall time."""
    samples = [s for part in parts for s in part.latencies.seconds]
    return CallStats(Latencies(samples), sum(p.wall for p in parts), parts[0].concurrency)


async def measure_calls(
    call: Callable[[], Awaitable[object]], *, count: int, concurrency: int = 1
) -> CallStats:
    """``count`` calls shared by ``concurrency`` callers, each waiting for its answer."""
    samples: list[float] = []
    remaining = count
    clock = time.perf_counter

    async def caller() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = clock()
            await call()
            samples.append(clock() - started)

    started = clock()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return CallStats(Latencies(samples), clock() - started, concurrency)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def format_ms(seconds: float) -> str:
    """Milliseconds with three significant-ish digits: 0.215 ms, 12.4 ms, 1,530 ms."""
    ms = seconds * 1000
    if ms < 10:
        return f"{ms:.3f} ms"
    if ms < 100:
        return f"{ms:.1f} ms"
    return f"{ms:,.0f} ms"
