"""The suite's side of `suite.host_runner`: start the host under test, ask it to run say
load, stop it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suite.processes import child_env, module_argv

__all__ = ["HostUnderTest", "HostUnderTestError", "host_under_test"]

_START_TIMEOUT = 120.0
_STOP_TIMEOUT = 30.0


class HostUnderTestError(RuntimeError):
    """The host under test failed; the message quotes the end of its log."""


@dataclass
class HostUnderTest:
    process: asyncio.subprocess.Process
    log_path: Path
    telnet_port: int
    plugins: Mapping[str, int]
    """Plugin name → pid at start."""

    @property
    def pid(self) -> int:
        return self.process.pid

    async def request(self, timeout: float, **request: object) -> dict[str, Any]:  # noqa: ASYNC109
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        await self.process.stdin.drain()
        reply = await self._read_line(timeout, f"the answer to {request.get('op')}")
        if "error" in reply:
            raise HostUnderTestError(f"the host under test refused {request}: {reply['error']}")
        return reply

    async def _read_line(self, timeout: float, what: str) -> dict[str, Any]:  # noqa: ASYNC109
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        except TimeoutError:
            raise HostUnderTestError(f"no {what} within {timeout:g} s{self._log_tail()}") from None
        if not line:
            raise HostUnderTestError(f"the host under test exited before {what}{self._log_tail()}")
        message: dict[str, Any] = json.loads(line)
        return message

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()[-15:]
        except OSError:
            return ""
        return "; its log ends:\n" + "\n".join(lines) if lines else ""

    async def stop(self) -> None:
        if self.process.returncode is not None:
            return
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), _STOP_TIMEOUT)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


@contextlib.asynccontextmanager
async def host_under_test(
    plugins_dir: Path, database_url: str, data_dir: Path, log_path: Path
) -> AsyncIterator[HostUnderTest]:
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *module_argv(
                "suite.host_runner",
                "--plugins-dir",
                str(plugins_dir),
                "--database-url",
                database_url,
                "--data-dir",
                str(data_dir),
            ),
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    host = HostUnderTest(process, log_path, telnet_port=0, plugins={})
    try:
        ready = await host._read_line(_START_TIMEOUT, "the host's start-up")
        if "error" in ready:
            raise HostUnderTestError(f"the host under test did not start: {ready['error']}")
        if ready["problems"]:
            raise HostUnderTestError(f"plugins did not load: {ready['problems']}")
        host.telnet_port = int(ready["telnet_port"])
        host.plugins = {str(name): int(pid) for name, pid in ready["plugins"].items()}
        yield host
    finally:
        await host.stop()
