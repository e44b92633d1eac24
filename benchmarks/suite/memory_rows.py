"""Row 7: peak resident memory of the host under test and of each plugin process."""

from __future__ import annotations

from collections.abc import Mapping

from suite.memory import Memory, peak_memory
from suite.table import Row, Verdict, verdict

__all__ = ["PLUGIN_RSS_TARGET_MB", "memory_rows"]

PLUGIN_RSS_TARGET_MB = 80.0


def _plugin_row(letter: str, name: str, memory: Memory | None, context: str) -> Row:
    if memory is None:
        return Row(f"7{letter}", f"plugin {name} ({context})", "process gone", "", Verdict.MISS)
    return Row(
        f"7{letter}",
        f"plugin {name} ({context})",
        memory.describe(),
        f"≤ {PLUGIN_RSS_TARGET_MB:.0f} MB",
        verdict(memory.megabytes <= PLUGIN_RSS_TARGET_MB),
    )


def memory_rows(host_pid: int, plugin_pids: Mapping[str, int], noop: Memory | None) -> list[Row]:
    """Read while the host under test still runs, after all its load."""
    host = peak_memory(host_pid)
    rows = [
        Row(
            "7a",
            "host (HostApp process, after rows 3-5)",
            host.describe() if host is not None else "process gone",
        )
    ]
    letters = iter("bcdefgh")
    for name, pid in sorted(plugin_pids.items()):
        rows.append(_plugin_row(next(letters), name, peak_memory(pid), "after rows 3-5"))
    rows.append(_plugin_row(next(letters), "bench-noop", noop, "after row 2"))
    return rows
