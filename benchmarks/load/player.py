"""A telnet player for load: it reads everything the host sends and waits for one reply.

Unlike the end-to-end tests' strict player, this one expects other players' output in
between (poses, says, arrivals): `LoadPlayer.run` sends a command and waits for the first
line, from then on, that is either the command's reply or an error. Every line received
after login is kept, so that `load.store_check` can find each one in the event store.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "GATEWAY_ERRORS",
    "CommandOutcome",
    "LoadPlayer",
    "LoginError",
    "is_error_line",
]

ERROR_PREFIX: Final = "[ERROR] "
#: What the telnet gateway itself says when a line could not be run (see gateway/texts.py).
GATEWAY_ERRORS: Final = frozenset(
    {
        "You are sending commands too quickly; that line was ignored. Slow down a little.",
        "Error processing command.",
        "Lost the connection to the game. Please reconnect.",
        "The server is shutting down. Goodbye!",
    }
)
_WELCOME: Final = re.compile(r"You are (Guest-\d+)\. Type 'help' for the commands\.")
_PRESENT: Final = re.compile(r"Present: .*")
LOGIN_TIMEOUT: Final = 60.0

_LinePredicate = Callable[[str], bool]


def is_error_line(line: str) -> bool:
    """Whether ``line`` tells the player that a command failed."""
    return line.startswith(ERROR_PREFIX) or line in GATEWAY_ERRORS


class LoginError(RuntimeError):
    """The host did not log the player in."""


@dataclass(frozen=True)
class CommandOutcome:
    """One command: what was sent, how long its answer took, and the answer."""

    command: str
    kind: str
    """A short name for the command (``pose``, ``say`` …), for per-kind figures."""
    sent_at: float
    """`time.monotonic` when the line was sent."""
    latency: float
    """Seconds until the answer (the timeout when there was none)."""
    answer: str | None
    """The reply or error line; None when nothing came in time."""
    ok: bool

    @property
    def answered_at(self) -> float:
        return self.sent_at + self.latency


class LoadPlayer:
    """One telnet connection, logged in as a guest; build it with `connect_guest`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._arrived = asyncio.Condition()
        self._closed = False
        self._reading = asyncio.create_task(self._read_lines(), name="load-player-reader")
        #: Every line received, in order (login included).
        self.lines: list[str] = []
        #: `time.monotonic` when each line of `lines` arrived.
        self.arrival: list[float] = []
        #: Index in `lines` of the first line after the welcome (event output from there on).
        self.first_event_line = 0
        self.name = ""

    @classmethod
    async def connect_guest(
        cls,
        port: int,
        host: str = "127.0.0.1",
        *,
        timeout: float = LOGIN_TIMEOUT,  # noqa: ASYNC109 - one limit over many reads
    ) -> LoadPlayer:
        """Connect, ``connect guest``, and wait for the room description."""
        reader, writer = await asyncio.open_connection(host, port)
        player = cls(reader, writer)
        try:
            await player._log_in(timeout)
        except BaseException:
            await player.close()
            raise
        return player

    async def _log_in(self, timeout: float) -> None:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout):
                await self.send("connect guest")
                welcome = await self._wait_for(lambda line: bool(_WELCOME.fullmatch(line)), 0)
                match = _WELCOME.fullmatch(self.lines[welcome])
                assert match is not None
                self.name = match[1]
                self.first_event_line = welcome + 1
                await self._wait_for(lambda line: bool(_PRESENT.fullmatch(line)), welcome)
        except TimeoutError:
            raise LoginError(
                f"not logged in after {timeout:g} s; received: {self.lines[-5:]}"
            ) from None

    @property
    def event_lines(self) -> list[str]:
        """The lines received since login: each one rendered from a stored event."""
        return self.lines[self.first_event_line :]

    @property
    def closed(self) -> bool:
        return self._closed

    async def send(self, line: str) -> None:
        self._writer.write(line.encode() + b"\r\n")
        await self._writer.drain()

    async def run(
        self,
        command: str,
        reply: re.Pattern[str],
        *,
        kind: str,
        timeout: float,  # noqa: ASYNC109 - one limit for the whole answer
    ) -> CommandOutcome:
        """Send ``command``; wait for a line that ``reply`` matches in full, or an error."""
        start = len(self.lines)
        sent_at = time.monotonic()
        answer: str | None = None
        try:
            await self.send(command)
            async with asyncio.timeout(timeout):
                index = await self._wait_for(
                    lambda line: is_error_line(line) or bool(reply.fullmatch(line)), start
                )
            answer = self.lines[index]
        except (TimeoutError, ConnectionError):
            pass
        latency = time.monotonic() - sent_at
        ok = answer is not None and not is_error_line(answer)
        return CommandOutcome(command, kind, sent_at, latency, answer, ok)

    async def wait_for_line(
        self,
        wanted: Callable[[str], bool],
        *,
        start: int = 0,
        timeout: float,  # noqa: ASYNC109 - one limit over many reads
    ) -> int:
        """The index in `lines` of the first line from ``start`` on that ``wanted``
        accepts, waiting up to ``timeout`` s for it (`TimeoutError` otherwise)."""
        async with asyncio.timeout(timeout):
            return await self._wait_for(wanted, start)

    async def _wait_for(self, wanted: _LinePredicate, start: int) -> int:
        """The index of the first line from ``start`` on that ``wanted`` accepts."""
        checked = start
        async with self._arrived:
            while True:
                for index in range(checked, len(self.lines)):
                    if wanted(self.lines[index]):
                        return index
                checked = len(self.lines)
                if self._closed:
                    raise ConnectionError("the host closed the connection")
                await self._arrived.wait()

    async def _read_lines(self) -> None:
        pending = b""
        try:
            while chunk := await self._reader.read(65536):
                pending += chunk
                *complete, pending = pending.split(b"\r\n")
                if complete:
                    now = time.monotonic()
                    async with self._arrived:
                        self.lines.extend(
                            raw.decode("utf-8", errors="backslashreplace") for raw in complete
                        )
                        self.arrival.extend(now for _ in complete)
                        self._arrived.notify_all()
        except OSError:
            pass
        finally:
            async with self._arrived:
                self._closed = True
                self._arrived.notify_all()

    async def wait_closed_by_host(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Whether the host closes the connection within ``timeout`` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._reading)
        return self._closed

    async def close(self) -> None:
        """Hang up; the host ends the session."""
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()
        self._reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reading
