"""Helpers shared by the go-plugin tests: fixture-plugin commands, log capture, cleanup."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from holomush_sdk.goplugin.client import PluginClient, PluginCommand, start_plugin

FIXTURES = "holomush_sdk.goplugin.tests.fixtures"


def child_env(**extra: str) -> dict[str, str]:
    """Environment for Python children: our sys.path, no PEX_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEX_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env.update(extra)
    return env


def fixture_argv(name: str) -> list[str]:
    return [sys.executable, "-m", f"{FIXTURES}.{name}"]


def fixture_command(name: str, **env: str) -> PluginCommand:
    return PluginCommand(argv=fixture_argv(name), env=child_env(**env))


class RecordCollector(logging.Handler):
    """Collects records and lets a test wait for one that matches."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._changed.set()

    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]

    async def wait_for(
        self,
        predicate: Callable[[logging.LogRecord], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> logging.LogRecord:
        async with asyncio.timeout(timeout):
            while True:
                for record in self.records:
                    if predicate(record):
                        return record
                self._changed.clear()
                await self._changed.wait()


@asynccontextmanager
async def running(name: str, command: PluginCommand, **kwargs: Any) -> AsyncIterator[PluginClient]:
    """start_plugin, and kill at the end whatever happens."""
    client = await start_plugin(name, command, **kwargs)
    try:
        yield client
    finally:
        await client.kill()
