"""The plugin processes of a host under test, found in the process tree.

The host starts each plugin in its own directory (``<plugins dir>/<name>``), and the
PEX launchers leave nothing else in the command line to tell them apart, so a plugin is
the descendant of this test process whose working directory is its plugin directory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import psutil

__all__ = ["plugin_process", "plugin_processes", "wait_until_gone"]

_POLL: Final = 0.05


def plugin_processes(plugins_dir: Path) -> dict[str, psutil.Process]:
    """Plugin name → its running process, for every plugin the host started."""
    found: dict[str, psutil.Process] = {}
    root = plugins_dir.resolve()
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            cwd = Path(process.cwd())
            if cwd.parent != root or process.status() == psutil.STATUS_ZOMBIE:
                continue
            # A bundle's launcher may run a helper in the same directory before it execs
            # the plugin: the plugin is the process whose parent is not in that directory.
            parent = process.parent()
            if parent is None or Path(parent.cwd()) != cwd:
                found[cwd.name] = process
    return found


async def plugin_process(
    plugins_dir: Path,
    name: str,
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - one limit over many looks
    other_than: int | None = None,
) -> psutil.Process:
    """The running process of plugin ``name`` (not pid ``other_than``), waiting for it."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                process = plugin_processes(plugins_dir).get(name)
                if process is not None and process.pid != other_than:
                    return process
                await asyncio.sleep(_POLL)  # polling the process table: there is no event
    except TimeoutError:
        raise AssertionError(f"no process of plugin {name} within {timeout:g} s") from None


async def wait_until_gone(
    processes: Iterable[psutil.Process],
    timeout: float,  # noqa: ASYNC109
) -> list[psutil.Process]:
    """Wait up to ``timeout`` s for ``processes`` to end; returns those still running."""
    waiting = list(processes)
    _, alive = await asyncio.to_thread(psutil.wait_procs, waiting, timeout)
    return [p for p in alive if _running(p)]


def _running(process: psutil.Process) -> bool:
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
