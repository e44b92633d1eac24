"""The short table ``holomush serve`` prints once everything listens."""

from __future__ import annotations

from collections.abc import Sequence

from holomush_host import __version__
from holomush_host.app.host import HostStatus
from holomush_host.plugins.report import LoadOutcome


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns, two spaces apart."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]


def startup_summary(status: HostStatus) -> str:
    lines = [f"HoloMUSH {__version__} is running.", ""]
    if status.plugins:
        rows = [
            (
                plugin.name,
                plugin.version,
                str(plugin.state),
                ", ".join(plugin.services) or "-",
                ", ".join(spec.name for spec in plugin.manifest.commands) or "-",
            )
            for plugin in status.plugins
        ]
        lines.extend(table(("PLUGIN", "VERSION", "STATE", "SERVICES", "COMMANDS"), rows))
    else:
        lines.append("No plugins loaded.")
    not_loaded = [
        p
        for p in status.report.plugins
        if p.outcome not in (LoadOutcome.LOADED, LoadOutcome.SKIPPED)
    ]
    if not_loaded or status.wiring_problems:
        lines.extend(("", "Problems (see the log for details):"))
        lines.extend(
            f"  {p.name}: {p.outcome}"
            + (f" [{p.code}]" if p.code else "")
            + (f": {_first_line(p.message)}" if p.message else "")
            for p in not_loaded
        )
        lines.extend(
            f"  {problem.plugin}: not reachable by players" for problem in status.wiring_problems
        )
    lines.append("")
    for host, port in status.telnet_addresses:
        lines.append(f"Telnet:   {host}:{port}")
    lines.append(f"gRPC:     {status.grpc_target}")
    lines.append(f"Database: {status.database}")
    lines.append(f"Plugins:  {status.plugins_dir}")
    return "\n".join(lines)


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"
