"""Peak resident memory of a running process.

On Linux the kernel keeps the high-water mark (``VmHWM`` in ``/proc/<pid>/status``), which
is exact however short the peak was. Elsewhere only the current RSS (psutil) is known,
and the row says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psutil

__all__ = ["Memory", "peak_memory"]


@dataclass(frozen=True)
class Memory:
    bytes: int
    exact_peak: bool
    """False: the current RSS, a lower bound of the peak."""

    @property
    def megabytes(self) -> float:
        return self.bytes / 1_000_000

    def describe(self) -> str:
        kind = "peak RSS" if self.exact_peak else "RSS now (no peak on this OS)"
        return f"{self.megabytes:.1f} MB {kind}"


def peak_memory(pid: int) -> Memory | None:
    """None when the process is gone."""
    status = Path(f"/proc/{pid}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return Memory(int(line.split()[1]) * 1024, exact_peak=True)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    try:
        return Memory(psutil.Process(pid).memory_info().rss, exact_peak=False)
    except psutil.Error:
        return None
