"""The packaged host PEX (``holomush serve``) for the load run, with the plugin bundles
unpacked into its plugins directory the way an operator deploys them."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import tarfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from holomush_testing.serve_process import spawn_serve

__all__ = ["HostStartError", "RunningHost", "packaged_host"]

START_TIMEOUT: Final = 240.0
STOP_TIMEOUT: Final = 60.0
_LAST_SUMMARY_LINE: Final = re.compile(r"Plugins:\s.*")
_TELNET_LINE: Final = re.compile(r"Telnet:\s+\S+:(\d+)")


class HostStartError(RuntimeError):
    """The host did not come up; the message quotes what it printed."""


@dataclass(frozen=True)
class RunningHost:
    telnet_port: int
    summary: tuple[str, ...]
    log_path: Path


def unpack_bundles(plugins_dir: Path, bundles: Sequence[Path]) -> Path:
    plugins_dir.mkdir(parents=True, exist_ok=True)
    for bundle in bundles:
        with tarfile.open(bundle, "r:gz") as archive:
            archive.extractall(plugins_dir, filter="data")  # keeps the PEX executable
    return plugins_dir.resolve()


@contextlib.asynccontextmanager
async def packaged_host(
    host_pex: Path, bundles: Sequence[Path], database_url: str, workdir: Path
) -> AsyncIterator[RunningHost]:
    """``holomush serve`` on ``database_url``; SIGTERM and wait on the way out."""
    # Unpacking reads tens of megabytes: off the event loop.
    plugins_dir = await asyncio.to_thread(unpack_bundles, workdir / "plugins", bundles)
    pex = await asyncio.to_thread(host_pex.resolve)
    log_path = workdir / "host.log"
    process = await spawn_serve(
        pex,
        plugins_dir=plugins_dir,
        data_dir=workdir / "data",
        database_url=database_url,
        log_path=log_path,
    )
    try:
        summary = await _read_summary(process, log_path)
        port = next(m for m in map(_TELNET_LINE.fullmatch, summary) if m is not None)
        yield RunningHost(int(port[1]), summary, log_path)
    finally:
        await _stop(process)


async def _read_summary(process: asyncio.subprocess.Process, log_path: Path) -> tuple[str, ...]:
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while raw := await process.stdout.readline():
                lines.append(raw.decode(errors="replace").rstrip())
                if _LAST_SUMMARY_LINE.fullmatch(lines[-1]):
                    if not any(_TELNET_LINE.fullmatch(line) for line in lines):
                        break
                    return tuple(lines)
    except TimeoutError:
        pass
    log = (await asyncio.to_thread(log_path.read_text, errors="replace"))[-3000:]
    printed = "\n".join(lines)
    raise HostStartError(f"the host did not start:\n{printed}\n--- its log:\n{log}")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(STOP_TIMEOUT):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
