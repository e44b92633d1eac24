"""A telnet client for tests: send lines, read until a pattern shows up (with a timeout)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from types import TracebackType

DEFAULT_TIMEOUT = 15.0
RESUME_HINT = (
    r"^If you are disconnected, reconnect and type 'resume ([A-Za-z0-9_-]{22})' within"
    r" \d+ \w+ to pick up where you left off\.\r\n"
)


class TelnetTestClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        #: Everything received and not yet consumed by `expect`, decoded.
        self.pending = ""
        #: Everything received, raw.
        self.received = b""
        #: The code `login` was given for ``resume``.
        self.resume_code = ""

    @classmethod
    async def connect(cls, port: int, host: str = "127.0.0.1") -> TelnetTestClient:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def line(self, text: str) -> None:
        await self.send(text.encode() + b"\r\n")

    async def expect(
        self,
        pattern: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - reads many chunks under one limit
    ) -> re.Match[str]:
        """Read until ``pattern`` (a regex) matches the pending text; consume through it."""
        regex = re.compile(pattern, re.MULTILINE)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    match = regex.search(self.pending)
                    if match is not None:
                        self.pending = self.pending[match.end() :]
                        return match
                    await self._read_more(pattern)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {pattern!r}; pending: {self.pending!r}"
            ) from None

    async def expect_all(
        self,
        *patterns: str,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - reads many chunks under one limit
    ) -> list[re.Match[str]]:
        """Read until every pattern matches the pending text, in any order; consume
        through the last match."""
        regexes = [re.compile(pattern, re.MULTILINE) for pattern in patterns]
        try:
            async with asyncio.timeout(timeout):
                while True:
                    matches = [regex.search(self.pending) for regex in regexes]
                    if all(match is not None for match in matches):
                        found = [match for match in matches if match is not None]
                        self.pending = self.pending[max(match.end() for match in found) :]
                        return found
                    await self._read_more(patterns)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for all of {patterns!r}; "
                f"pending: {self.pending!r}"
            ) from None

    async def _read_more(self, waiting_for: object) -> None:
        chunk = await self.reader.read(4096)
        if not chunk:
            raise AssertionError(
                f"connection closed before {waiting_for!r}; pending: {self.pending!r}"
            )
        self.received += chunk
        self.pending += chunk.decode("utf-8", errors="replace")

    async def expect_closed(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - reads many chunks under one limit
    ) -> str:
        """Read to EOF; returns what arrived meanwhile."""
        async with asyncio.timeout(timeout):
            while chunk := await self.reader.read(4096):
                self.received += chunk
                self.pending += chunk.decode("utf-8", errors="replace")
        return self.pending

    async def login(self) -> str:
        """``connect guest``; returns the guest's name (the resume code is kept)."""
        await self.expect(r"Use: connect guest")
        await self.line("connect guest")
        self.resume_code = (await self.expect(RESUME_HINT))[1]
        match = await self.expect(r"You are (Guest-\d+)\.")
        await self.expect(r"^Present: .*$")
        return match[1]

    async def resume(self, code: str) -> str:
        """``resume <code>`` from the login prompt; returns the name taken back."""
        await self.expect(r"Use: connect guest")
        await self.line(f"resume {code}")
        match = await self.expect(r"^Welcome back! You are (Guest-\d+) again")
        self.resume_code = code
        return match[1]

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()

    async def __aenter__(self) -> TelnetTestClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def wait_until(
    condition: Callable[[], Awaitable[bool]],
    *,
    what: str,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - one limit over many polls
) -> None:
    """Poll ``condition`` (a database state: nothing to wait on) until it holds."""
    try:
        async with asyncio.timeout(timeout):
            while not await condition():  # noqa: ASYNC110 - polling the database
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None
