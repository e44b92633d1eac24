"""Telnet players for end-to-end tests, with every line they receive checked.

A `TelnetPlayer` reads the host's output line by line. `expect` names the exact lines the
player must receive next: any other line fails the test at once, with the player's recent
lines and the host's output, so nothing a player is shown goes unchecked. `TelnetRoom`
keeps the bookkeeping for the players of one test, who all stand in the host's default
room and therefore see each other arrive and leave (``quit``), drop and resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Final, NoReturn

#: What the host's telnet port says first, and the room every guest starts in.
BANNER: Final = ("Welcome to HoloMUSH!", "Use: connect guest")
ROOM_NAME: Final = "The Nexus"
ROOM_DESCRIPTION: Final = (
    "A quiet crossroads between worlds. Soft light pools on a floor of worn stone, and"
    " paths lead off in every direction."
)
GOODBYE: Final = "Goodbye!"
SHUTTING_DOWN: Final = "The server is shutting down. Goodbye!"
#: Per expectation; generous because two cores run the host, two plugins and PostgreSQL.
LINE_TIMEOUT: Final = 30.0
_WELCOME: Final = re.compile(r"You are (Guest-\d+)\. Type 'help' for the commands\.")
#: The host's resume window (``HostConfig.session_ttl_seconds``, default 600 s).
RESUME_WINDOW: Final = "10 minutes"
_RESUME_HINT: Final = re.compile(
    r"If you are disconnected, reconnect and type 'resume ([A-Za-z0-9_-]{22})' within "
    + re.escape(RESUME_WINDOW)
    + r" to pick up where you left off\."
)
_SHOWN_LINES: Final = 40

Diagnostics = Callable[[], str]
"""Called when an expectation fails: text to add to the message (the host's output)."""


class TelnetPlayer:
    """One telnet connection; build it with `connect`."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        label: str,
        diagnostics: Diagnostics,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._diagnostics = diagnostics
        self._buffer = b""
        self._eof = False
        self.label = label
        #: The guest's name once logged in.
        self.name = ""
        #: What to type after ``resume`` to take this player's session back.
        self.resume_code = ""
        #: Every line received, in order.
        self.received: list[str] = []

    @classmethod
    async def connect(
        cls, port: int, *, label: str, diagnostics: Diagnostics, host: str = "127.0.0.1"
    ) -> TelnetPlayer:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, label=label, diagnostics=diagnostics)

    async def send(self, line: str) -> None:
        self._writer.write(line.encode() + b"\r\n")
        await self._writer.drain()

    async def command(self, line: str, *replies: str) -> None:
        """Send ``line``; ``replies`` must be the next lines received, in order."""
        await self.send(line)
        await self.expect(*replies)

    async def expect(
        self,
        *lines: str,
        timeout: float = LINE_TIMEOUT,  # noqa: ASYNC109 - one limit over many reads
    ) -> None:
        """The next lines received must be exactly ``lines``, in this order."""
        await self.expect_interleaved(lines, timeout=timeout)

    async def expect_interleaved(
        self,
        *sequences: Sequence[str],
        timeout: float = LINE_TIMEOUT,  # noqa: ASYNC109 - one limit over many reads
    ) -> None:
        """The next lines received must be exactly those of ``sequences``, each sequence in
        its own order, interleaved in any way: for output from independent sources, such as
        a command's reply and the replay of a scene's recent poses."""
        queues = [list(sequence) for sequence in sequences if sequence]
        try:
            async with asyncio.timeout(timeout):
                while queues:
                    line = await self._read_line()
                    if line is None:
                        self._fail("the connection closed", queues)
                    queue = next((q for q in queues if q[0] == line), None)
                    if queue is None:
                        self._fail(f"unexpected line {line!r}", queues)
                    queue.pop(0)
                    queues = [q for q in queues if q]
        except TimeoutError:
            self._fail(f"timed out after {timeout}s", queues)

    async def expect_match(
        self,
        pattern: str,
        *,
        timeout: float = LINE_TIMEOUT,  # noqa: ASYNC109 - one limit over many reads
    ) -> re.Match[str]:
        """The next line must match ``pattern`` in full (for lines carrying new IDs)."""
        wanted = f"a line matching {pattern!r}"
        try:
            async with asyncio.timeout(timeout):
                line = await self._read_line()
        except TimeoutError:
            self._fail(f"timed out after {timeout}s", [[wanted]])
        if line is None:
            self._fail("the connection closed", [[wanted]])
        match = re.fullmatch(pattern, line)
        if match is None:
            self._fail(f"unexpected line {line!r}", [[wanted]])
        return match

    async def expect_closed(
        self,
        timeout: float = LINE_TIMEOUT,  # noqa: ASYNC109 - one limit over many reads
    ) -> None:
        """The host must close the connection with nothing more to say."""
        try:
            async with asyncio.timeout(timeout):
                line = await self._read_line()
        except TimeoutError:
            self._fail(f"timed out after {timeout}s", [["the connection to close"]])
        if line is not None:
            self._fail(f"unexpected line {line!r}", [["the connection to close"]])

    async def disconnect(self, timeout: float = LINE_TIMEOUT) -> None:  # noqa: ASYNC109
        """Hang up without checking anything (clean-up after a failure). Waits until the
        host closes its side, by when it has detached the session (no ``quit``)."""
        with contextlib.suppress(OSError, TimeoutError):
            if not self._eof:
                self._writer.write_eof()
                async with asyncio.timeout(timeout):
                    while await self._reader.read(4096):
                        pass
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    async def _read_line(self) -> str | None:
        """The next line without its CR LF; None once the host has closed the connection."""
        while b"\r\n" not in self._buffer:
            if self._eof:
                if not self._buffer:
                    return None
                self._buffer += b"\r\n"  # a last line without an end
                break
            chunk = await self._reader.read(4096)
            self._eof = not chunk
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\r\n")
        line = raw.decode("utf-8", errors="backslashreplace")
        self.received.append(line)
        return line

    def _fail(self, problem: str, expected: list[list[str]]) -> NoReturn:
        """Fail with what was still expected (one or more sequences, interleaved in any
        way), the latest lines received and the host's output."""
        who = f"{self.label} ({self.name})" if self.name else self.label
        recent = "\n".join(f"    | {line}" for line in self.received[-_SHOWN_LINES:])
        waiting = "\n  and, interleaved with those in any way:\n".join(
            "\n".join(f"    {line!r}" for line in sequence) for sequence in expected
        )
        raise AssertionError(
            f"{who}: {problem}\n  still expected, in order:\n{waiting}\n"
            f"  last lines received (oldest first):\n{recent or '    (none)'}\n"
            f"{self._diagnostics()}"
        )


class TelnetRoom:
    """The players of one test, all guests in the default room."""

    def __init__(self, port: int, diagnostics: Diagnostics) -> None:
        self._port = port
        self._diagnostics = diagnostics
        self._entered = 0
        self.players: list[TelnetPlayer] = []

    async def enter(self) -> TelnetPlayer:
        """Connect and log in a new guest; everyone already here sees it arrive."""
        self._entered += 1
        player = await TelnetPlayer.connect(
            self._port, label=f"player {self._entered}", diagnostics=self._diagnostics
        )
        self.players.append(player)
        await player.expect(*BANNER)
        await player.send("connect guest")
        player.resume_code = (await player.expect_match(_RESUME_HINT.pattern))[1]
        player.name = (await player.expect_match(_WELCOME.pattern))[1]
        await player.expect(*self._look())
        for other in self.others(player):
            await other.expect(f"{player.name} has arrived.")
        return player

    async def resume(self, name: str, code: str, *, missed: Sequence[str] = ()) -> TelnetPlayer:
        """Connect and ``resume <code>`` the session of ``name``: the player is welcomed
        back, shown the ``missed`` lines (what its streams delivered while it was away),
        then the room; everyone here sees it reconnect."""
        self._entered += 1
        player = await TelnetPlayer.connect(
            self._port, label=f"player {self._entered}", diagnostics=self._diagnostics
        )
        player.name, player.resume_code = name, code
        self.players.append(player)
        await player.expect(*BANNER)
        await player.command(
            f"resume {code}", f"Welcome back! You are {name} again, where you left off."
        )
        await player.expect(*missed, *self._look())
        for other in self.others(player):
            await other.expect(f"{name} has reconnected.")
        return player

    def _look(self) -> tuple[str, ...]:
        """What ``look`` shows: the room, and every player connected in it."""
        present = sorted((p.name for p in self.players), key=str.lower)
        return ROOM_NAME, ROOM_DESCRIPTION, "Present: " + ", ".join(present)

    async def quit(self, player: TelnetPlayer) -> None:
        """``quit``: the host says goodbye and hangs up; everyone still here sees it leave."""
        await player.command("quit", GOODBYE)
        await player.expect_closed()
        self.players.remove(player)
        for other in self.players:
            await other.expect(f"{player.name} has left.")

    def others(self, player: TelnetPlayer) -> list[TelnetPlayer]:
        return [p for p in self.players if p is not player]

    async def aclose(self) -> None:
        """Hang up everyone still connected, so the next test finds the room empty."""
        players, self.players = self.players, []
        for player in players:
            await player.disconnect()

    async def __aenter__(self) -> TelnetRoom:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
