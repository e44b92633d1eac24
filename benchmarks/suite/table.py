"""The suite's result: one Markdown table, a row per measurement, with PASS/MISS where a
target exists."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Row", "Verdict", "render_table", "verdict"]


class Verdict(enum.StrEnum):
    PASS = "PASS"
    MISS = "MISS"
    NONE = "—"


def verdict(met: bool) -> Verdict:
    return Verdict.PASS if met else Verdict.MISS


@dataclass(frozen=True)
class Row:
    number: str
    """The measurement it belongs to (1-7 as in BENCHMARKS.md), with a letter per row."""
    measurement: str
    result: str
    target: str = "—"
    verdict: Verdict = Verdict.NONE


HEADER = ("#", "measurement", "result", "target", "verdict")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(rows: Sequence[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    for row in rows:
        cells = (row.number, row.measurement, row.result, row.target, str(row.verdict))
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)
