"""The load run's figures: throughput, latency percentiles, errors, events checked."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from load.player import CommandOutcome
from load.store_check import StoreCheck
from load.workload import WorkloadResult

__all__ = ["LoadFigures", "figures", "percentile", "render_table"]


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of ``samples``; 0 for none."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class LatencyRow:
    label: str
    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, label: str, outcomes: Sequence[CommandOutcome]) -> LatencyRow:
        seconds = [o.latency for o in outcomes]
        return cls(
            label,
            len(seconds),
            percentile(seconds, 0.50),
            percentile(seconds, 0.95),
            percentile(seconds, 0.99),
            max(seconds, default=0.0),
        )


@dataclass(frozen=True)
class LoadFigures:
    players: int
    duration: float
    commands: int
    errors: int
    lines_checked: int
    lines_missing: int
    events_in_store: int
    overall: LatencyRow
    by_kind: tuple[LatencyRow, ...]

    @property
    def commands_per_second(self) -> float:
        return self.commands / self.duration if self.duration > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.lines_missing == 0


def figures(players: int, result: WorkloadResult, check: StoreCheck) -> LoadFigures:
    kinds = sorted({o.kind for o in result.outcomes})
    return LoadFigures(
        players=players,
        duration=result.elapsed,
        commands=len(result.outcomes),
        errors=len(result.errors),
        lines_checked=check.lines_checked,
        lines_missing=len(check.missing),
        events_in_store=check.events_in_store,
        overall=LatencyRow.of("all", result.outcomes),
        by_kind=tuple(
            LatencyRow.of(kind, [o for o in result.outcomes if o.kind == kind]) for kind in kinds
        ),
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def render_table(result: LoadFigures) -> str:
    """Two Markdown tables: the run's totals, then command latency by kind."""
    o = result.overall
    totals = _table(
        (
            "players",
            "duration s",
            "commands",
            "commands/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "errors",
            "lines checked",
            "missing",
        ),
        [
            (
                str(result.players),
                f"{result.duration:.1f}",
                str(result.commands),
                f"{result.commands_per_second:.1f}",
                _ms(o.p50),
                _ms(o.p95),
                _ms(o.p99),
                _ms(o.max),
                str(result.errors),
                str(result.lines_checked),
                str(result.lines_missing),
            )
        ],
    )
    kinds = _table(
        ("command", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"),
        [
            (r.label, str(r.count), _ms(r.p50), _ms(r.p95), _ms(r.p99), _ms(r.max))
            for r in result.by_kind
        ],
    )
    return "\n".join([*totals, "", *kinds])
