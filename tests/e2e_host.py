"""The packaged host PEX (`holomush serve`) as a real child process.

`HostProcess.start` runs it on a plugins directory and a database with ``--telnet-port 0
--grpc-port 0``; the host binds free ports and prints them in its start-up table, which is
read line by line until the table is complete. Its stderr (the log) goes to a file so that a
failing test can show the tail. `HostProcess.stop` sends SIGTERM, as a service manager
would, and waits for the exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Final

from e2e_bundles import PLUGIN_BUNDLES, unpack_bundles
from holomush_testing.serve_process import serve_env, spawn_serve
from packaged import HOST_PEX

#: The first start in a fresh sandbox builds the PEX venvs of the host and both plugins.
START_TIMEOUT: Final = 240.0
STOP_TIMEOUT: Final = 60.0
STDERR_TAIL_CHARS: Final = 4000
STOPPED_OUTPUT: Final = ("Stopping…", "Stopped.")
_LAST_SUMMARY_LINE: Final = re.compile(r"Plugins:\s.*")
_TELNET_LINE: Final = re.compile(r"Telnet:\s+\S+:(\d+)")
_GRPC_LINE: Final = re.compile(r"gRPC:\s+(\S+:\d+)")


host_env = serve_env
"""The environment for the host (and its CLI): see `serve_env`."""


class HostProcess:
    """A running ``holomush serve``; build it with `start`."""

    def __init__(self, process: asyncio.subprocess.Process, stderr_path: Path) -> None:
        self._process = process
        self._stderr_path = stderr_path
        #: Every line the host printed on stdout so far.
        self.stdout_lines: list[str] = []
        self._output = asyncio.Condition()
        self._stdout_done = False
        self._reader = asyncio.create_task(self._read_stdout(), name="host-stdout")
        self.summary: list[str] = []
        self.telnet_port = 0
        self.grpc_target = ""

    @classmethod
    async def start(
        cls,
        *,
        plugins_dir: Path,
        data_dir: Path,
        database_url: str,
        stderr_path: Path,
        timeout: float = START_TIMEOUT,  # noqa: ASYNC109 - one limit over many reads
    ) -> HostProcess:
        """Start the host and wait for its start-up table; fails with the host's output."""
        process = await spawn_serve(
            HOST_PEX,
            plugins_dir=plugins_dir,
            data_dir=data_dir,
            database_url=database_url,
            log_path=stderr_path,
        )
        host = cls(process, stderr_path)
        try:
            await host._read_summary(timeout)
        except BaseException:
            await host.kill()
            raise
        return host

    async def _read_summary(self, timeout: float) -> None:  # noqa: ASYNC109
        first = len(self.stdout_lines)
        last = await self.wait_for_line(_LAST_SUMMARY_LINE, timeout=timeout, start=first)
        self.summary = self.stdout_lines[first : last + 1]
        telnet = _first_match(_TELNET_LINE, self.summary)
        grpc = _first_match(_GRPC_LINE, self.summary)
        if telnet is None or grpc is None:
            raise AssertionError(
                f"no telnet or gRPC address in the start-up table\n{self.report()}"
            )
        self.telnet_port = int(telnet[1])
        self.grpc_target = grpc[1]

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    async def _read_stdout(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        try:
            while raw := await stream.readline():
                async with self._output:
                    self.stdout_lines.append(raw.decode(errors="replace").rstrip("\r\n"))
                    self._output.notify_all()
        finally:
            async with self._output:
                self._stdout_done = True
                self._output.notify_all()

    async def wait_for_line(
        self,
        pattern: re.Pattern[str],
        *,
        timeout: float,  # noqa: ASYNC109 - one limit over many reads
        start: int = 0,
    ) -> int:
        """The index of the first stdout line from ``start`` on that ``pattern`` matches in
        full; fails with the host's output when stdout ends or time runs out first."""
        checked = start
        try:
            async with asyncio.timeout(timeout), self._output:
                while True:
                    for index in range(checked, len(self.stdout_lines)):
                        if pattern.fullmatch(self.stdout_lines[index]):
                            return index
                    checked = len(self.stdout_lines)
                    if self._stdout_done:
                        problem = "the host closed its stdout"
                        break
                    await self._output.wait()
        except TimeoutError:
            problem = f"timed out after {timeout}s"
        raise AssertionError(
            f"{problem} before printing a line matching {pattern.pattern!r}\n{self.report()}"
        )

    def log(self) -> str:
        """Everything the host wrote to stderr (its log) so far."""
        try:
            return self._stderr_path.read_text(errors="replace")
        except OSError as exc:
            return f"(cannot read {self._stderr_path}: {exc})"

    def stderr_tail(self, chars: int = STDERR_TAIL_CHARS) -> str:
        return self.log()[-chars:]

    def report(self) -> str:
        """What the host printed so far: stdout in full, the tail of its log."""
        status = "running" if self.returncode is None else f"exited with {self.returncode}"
        stdout = "\n".join(self.stdout_lines) or "(nothing)"
        return (
            f"--- host ({status}) stdout:\n{stdout}\n"
            f"--- host stderr (last {STDERR_TAIL_CHARS} characters):\n{self.stderr_tail()}"
        )

    async def stop(self, timeout: float = STOP_TIMEOUT) -> int:  # noqa: ASYNC109
        """SIGTERM, then wait for the exit; returns the exit code (killed after ``timeout``)."""
        if self.returncode is None:
            self._process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(timeout):
                code = await self._process.wait()
                await self._reader
        except TimeoutError:
            await self.kill()
            raise AssertionError(
                f"the host did not exit within {timeout}s of SIGTERM\n{self.report()}"
            ) from None
        return code

    async def kill(self) -> None:
        """Kill the host if it still runs (clean-up after a failure)."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
        await self._process.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def stop_cleanly(self) -> None:
        """`stop`, and fail unless the host exited 0 after saying it stopped."""
        code = await self.stop()
        assert code == 0, f"the host exited with {code} after SIGTERM\n{self.report()}"
        assert tuple(self.stdout_lines[-2:]) == STOPPED_OUTPUT, self.report()


async def start_in(
    workdir: Path, database_url: str, run: int, plugins: Sequence[tuple[str, str]]
) -> HostProcess:
    """The host on ``workdir/plugins`` and ``workdir/data`` (log ``host-<run>.log``); fails
    unless its start-up table lists exactly ``plugins`` ((name, version) pairs) as running."""
    host = await HostProcess.start(
        plugins_dir=workdir / "plugins",
        data_dir=workdir / "data",
        database_url=database_url,
        stderr_path=workdir / f"host-{run}.log",
    )
    rows = [line.split()[:3] for line in host.summary]
    header = ["PLUGIN", "VERSION", "STATE"]
    assert header in rows, host.report()
    first = rows.index(header) + 1
    expected = [[name, version, "running"] for name, version in plugins]
    assert rows[first : first + len(plugins)] == expected, host.report()
    return host


def _first_match(pattern: re.Pattern[str], lines: Iterable[str]) -> re.Match[str] | None:
    return next((m for m in map(pattern.fullmatch, lines) if m is not None), None)


@contextlib.asynccontextmanager
async def running_host(
    database_url: str, workdir: Path, *, bundles: Iterable[Path] = PLUGIN_BUNDLES
) -> AsyncIterator[HostProcess]:
    """The host on ``database_url`` with ``bundles`` unpacked into ``workdir/plugins``;
    stopped with SIGTERM afterwards, which must end it cleanly."""
    plugins_dir = unpack_bundles(workdir / "plugins", bundles)
    host = await HostProcess.start(
        plugins_dir=plugins_dir,
        data_dir=workdir / "data",
        database_url=database_url,
        stderr_path=workdir / "host.log",
    )
    try:
        yield host
    except BaseException:
        with contextlib.suppress(AssertionError):  # the test's failure is the one to report
            await host.stop()
        raise
    await host.stop_cleanly()
