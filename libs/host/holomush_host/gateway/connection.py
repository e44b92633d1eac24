"""One telnet connection: banner, ``connect guest`` or ``resume <code>``, then lines in
and events out.

Two tasks share the socket: the read loop (one line at a time, in order, each finished
before the next starts) and the event pump (everything the player's streams deliver,
rendered). ``quit`` ends the session; whatever else ends the connection (EOF, a reset, a
slow reader, server shutdown) detaches it, so the player can resume it from a new
connection. Either way the room hears of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from holomush_host.data.errors import StoreUnavailableError
from holomush_host.data.event_types import StoredEvent
from holomush_host.dispatch.dispatcher import DispatchResult
from holomush_host.dispatch.player import PlayerContext
from holomush_host.dispatch.rendering import render_event
from holomush_host.gateway import texts
from holomush_host.gateway.rate_limit import TokenBucket
from holomush_host.gateway.sessions import (
    ARRIVE,
    DISCONNECT,
    RECONNECT,
    LiveSession,
    PlayerSessions,
    ResumeRefusal,
    ResumeRefused,
)
from holomush_host.gateway.telnet_codec import (
    DEFAULT_MAX_LINE_BYTES,
    InputItem,
    Line,
    TelnetDecoder,
    encode_line,
)

_LOG = logging.getLogger(__name__)
_READ_SIZE = 4096
_PRESENCE_NOTICES = frozenset({ARRIVE, DISCONNECT, RECONNECT})
_RESUME_REFUSALS: dict[ResumeRefusal, str] = {
    ResumeRefusal.UNKNOWN: texts.RESUME_UNKNOWN,
    ResumeRefusal.ENDED: texts.RESUME_ENDED,
    ResumeRefusal.IN_USE: texts.RESUME_IN_USE,
}


@dataclass(frozen=True)
class TelnetSettings:
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    lines_per_second: float = 10.0
    line_burst: int = 30
    #: A client that has not taken its output after this long is disconnected.
    write_timeout: float = 30.0
    max_connections: int = 256
    #: Failed ``resume`` attempts (wrong or ended codes) before the connection is closed.
    max_resume_failures: int = 5
    #: Time source of the line limiter (tests replace it).
    clock: Callable[[], float] = time.monotonic


class LineDispatcher(Protocol):
    async def dispatch(self, player: PlayerContext, line: str) -> DispatchResult: ...


class ClientOutput:
    """Writes to the socket; a client that stops reading is cut off, not waited for."""

    def __init__(self, writer: asyncio.StreamWriter, write_timeout: float) -> None:
        self._writer = writer
        self._timeout = write_timeout

    async def lines(self, lines: Iterable[str]) -> None:
        await self.raw(b"".join(encode_line(line) for line in lines))

    async def text(self, text: str) -> None:
        await self.lines(text.split("\n"))

    async def raw(self, data: bytes) -> None:
        if not data or self._writer.is_closing():
            return
        self._writer.write(data)
        try:
            async with asyncio.timeout(self._timeout):
                await self._writer.drain()
        except TimeoutError:
            self._writer.transport.abort()
            raise ConnectionError("the client stopped reading its output") from None

    def close(self) -> None:
        self._writer.close()


class TelnetConnection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        sessions: PlayerSessions,
        dispatcher: LineDispatcher,
        settings: TelnetSettings,
    ) -> None:
        self._reader = reader
        self._out = ClientOutput(writer, settings.write_timeout)
        self._sessions = sessions
        self._dispatcher = dispatcher
        self._decoder = TelnetDecoder(max_line_bytes=settings.max_line_bytes)
        self._bucket = TokenBucket(
            settings.lines_per_second, settings.line_burst, clock=settings.clock
        )
        self._throttled = False
        self._max_resume_failures = settings.max_resume_failures
        self._resume_failures = 0
        #: The player typed ``quit``: end the session instead of detaching it.
        self._quitting = False
        self._live: LiveSession | None = None
        self._pump: asyncio.Task[None] | None = None
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    @property
    def player(self) -> PlayerContext | None:
        return None if self._live is None else self._live.player

    async def run(self) -> None:
        """Serve the connection until it ends; never raises for client behaviour."""
        try:
            await self._out.text(texts.BANNER)
            await self._read_loop()
        except (ConnectionError, TimeoutError) as exc:
            _LOG.info("connection %s ended: %s", self.peer, exc)
        except Exception:  # a bug: end this connection, keep the server
            _LOG.exception("connection %s failed", self.peer)
        finally:
            await self._leave()
            self._out.close()

    async def say_and_close(self, message: str) -> None:
        """Tell the client something and close; run() then cleans up."""
        with contextlib.suppress(ConnectionError):
            await self._out.text(message)
        self._out.close()

    # -- input --------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        while True:
            data = await self._reader.read(_READ_SIZE)
            if not data:
                return
            decoded = self._decoder.feed(data)
            await self._out.raw(decoded.replies)
            for item in decoded.items:
                if not await self._handle(item):
                    return

    async def _handle(self, item: InputItem) -> bool:
        """False when the connection should close."""
        if not self._bucket.take():
            if not self._throttled:
                self._throttled = True
                await self._out.text(texts.TOO_FAST)
            return True
        self._throttled = False
        if not isinstance(item, Line):
            await self._out.text(texts.LINE_TOO_LONG)
            return True
        if self._live is None:
            return await self._before_login(item.text)
        return await self._command(self._live.player, item.text)

    async def _before_login(self, line: str) -> bool:
        words = line.split()
        if not words:
            return True
        verb = words[0].lower()
        if verb == "connect":
            if [w.lower() for w in words[1:]] == ["guest"]:
                await self._connect_guest()
            else:
                await self._out.text(texts.ONLY_GUESTS)
        elif verb == "resume":
            return await self._resume(words[1:])
        elif verb in ("quit", "logout"):
            await self._out.text(texts.GOODBYE)
            return False
        elif verb == "help":
            await self._out.text(texts.NOT_CONNECTED_HELP)
        else:
            await self._out.text(texts.unknown_before_login(words[0]))
        return True

    async def _connect_guest(self) -> None:
        try:
            live = await self._sessions.start_guest()
        except Exception:
            _LOG.exception("guest connection from %s failed", self.peer)
            await self._out.text(texts.CONNECT_FAILED)
            return
        _LOG.info(
            "%s connected as %s (%s)", self.peer, live.player.character_name, live.player.subject
        )
        welcome = texts.welcome(
            live.player.character_name, live.resume_code, self._sessions.ttl_seconds
        )
        await self._enter(live, welcome)

    async def _resume(self, args: list[str]) -> bool:
        """False when the connection should close (too many failed attempts)."""
        if len(args) != 1:
            await self._out.text(texts.RESUME_USAGE)
            return True
        try:
            live = await self._sessions.resume(args[0])
        except ResumeRefused as refused:
            _LOG.info("resume from %s refused: %s", self.peer, refused.refusal.value)
            await self._out.text(_RESUME_REFUSALS[refused.refusal])
            if refused.refusal is not ResumeRefusal.IN_USE:  # (IN_USE: the code was right)
                self._resume_failures += 1
                if self._resume_failures >= self._max_resume_failures:
                    await self._out.text(texts.TOO_MANY_RESUME_ATTEMPTS)
                    return False
            return True
        except Exception:
            _LOG.exception("resume from %s failed", self.peer)
            await self._out.text(texts.RESUME_FAILED)
            return True
        _LOG.info("%s resumed %s (%s)", self.peer, live.player.character_name, live.player.subject)
        await self._enter(live, texts.welcome_back(live.player.character_name))
        return True

    async def _enter(self, live: LiveSession, greeting: str) -> None:
        """Greet the player, start delivering their events, show them the room."""
        self._live = live
        await self._out.text(greeting)
        self._pump = asyncio.create_task(self._pump_events(live), name=f"telnet-pump-{self.peer}")
        await self._command(live.player, "look")

    async def _command(self, player: PlayerContext, line: str) -> bool:
        try:
            result = await self._dispatcher.dispatch(player, line)
        except StoreUnavailableError:  # logged by the dispatcher; not a bug, no traceback
            await self._out.text(texts.STORE_UNAVAILABLE)
            return True
        except Exception:
            _LOG.exception("command from %s failed", player.subject)
            await self._out.text(texts.COMMAND_FAILED)
            return True
        if result.disconnect:
            self._quitting = True
            await self._out.text(texts.GOODBYE)
            return False
        return True

    # -- output -------------------------------------------------------------------------

    async def _pump_events(self, live: LiveSession) -> None:
        try:
            async for event in live.events:
                if not self._is_about_own_presence(event, live.player):
                    lines = render_event(event)
                    if lines:
                        await self._out.lines(lines)
                live.cursors.delivered()
        except ConnectionError:
            self._out.close()
        except Exception:
            _LOG.exception("event delivery to %s failed", live.player.subject)
            await self.say_and_close(texts.CONNECTION_LOST)

    @staticmethod
    def _is_about_own_presence(event: StoredEvent, player: PlayerContext) -> bool:
        # The room hears that the player arrived, dropped or came back; the player knows.
        return event.type in _PRESENCE_NOTICES and event.actor.id == player.character_id

    # -- clean-up -----------------------------------------------------------------------

    async def _leave(self) -> None:
        # The pump stops first, so the cursors saved on detach are final.
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.wait([self._pump])
        live, self._live = self._live, None
        if live is not None:
            if self._quitting:
                await self._sessions.end(live)
                _LOG.info("%s (%s) left", live.player.character_name, self.peer)
            else:
                await self._sessions.detach(live)
                _LOG.info("%s (%s) disconnected", live.player.character_name, self.peer)
