"""A player at the host's telnet port: send a line, read until a pattern shows up."""

from __future__ import annotations

import asyncio
import contextlib
import re
from types import TracebackType

__all__ = ["TelnetPlayer"]

_TIMEOUT = 30.0


class TelnetPlayer:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._pending = ""
        self.name = ""

    @classmethod
    async def connect_guest(cls, port: int, host: str = "127.0.0.1") -> TelnetPlayer:
        """Connected and logged in as a guest (``connect guest``)."""
        reader, writer = await asyncio.open_connection(host, port)
        player = cls(reader, writer)
        try:
            await player.expect(r"connect guest")
            await player.line("connect guest")
            player.name = (await player.expect(r"You are (Guest-\d+)\."))[1]
            await player.expect(r"^Present: .*$")
        except BaseException:
            await player.close()
            raise
        return player

    async def line(self, text: str) -> None:
        self._writer.write(text.encode() + b"\r\n")
        await self._writer.drain()

    async def expect(self, pattern: str, *, timeout: float = _TIMEOUT) -> re.Match[str]:  # noqa: ASYNC109
        """Read until ``pattern`` matches what arrived; consume through the match."""
        regex = re.compile(pattern, re.MULTILINE)
        try:
            async with asyncio.timeout(timeout):
                while (match := regex.search(self._pending)) is None:
                    chunk = await self._reader.read(65536)
                    if not chunk:
                        raise ConnectionError(f"the host closed the connection before {pattern!r}")
                    self._pending += chunk.decode("utf-8", errors="replace")
        except TimeoutError:
            raise TimeoutError(
                f"no {pattern!r} from the host within {timeout:g} s; got {self._pending[-300:]!r}"
            ) from None
        self._pending = self._pending[match.end() :]
        return match

    async def command(self, text: str, answer: str) -> re.Match[str]:
        """Send ``text``; the match of ``answer`` in what comes back."""
        await self.line(text)
        return await self.expect(answer)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()

    async def __aenter__(self) -> TelnetPlayer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
