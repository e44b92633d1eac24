"""The telnet listener: accepts connections, caps their number, closes them all on stop."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Final

from holomush_host.gateway import texts
from holomush_host.gateway.connection import LineDispatcher, TelnetConnection, TelnetSettings
from holomush_host.gateway.sessions import PlayerSessions

_LOG = logging.getLogger(__name__)
DEFAULT_TELNET_PORT: Final = 4201
_STOP_GRACE: Final = 10.0


class TelnetServer:
    def __init__(
        self,
        sessions: PlayerSessions,
        dispatcher: LineDispatcher,
        *,
        host: str = "0.0.0.0",
        port: int = DEFAULT_TELNET_PORT,
        settings: TelnetSettings | None = None,
    ) -> None:
        self._sessions = sessions
        self._dispatcher = dispatcher
        self._host = host
        self._port = port
        self._settings = settings or TelnetSettings()
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], TelnetConnection] = {}

    async def start(self) -> None:
        """Listen (raises OSError when the address is taken or not allowed)."""
        self._server = await asyncio.start_server(self._accept, self._host, self._port)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        if self._server is None:
            return []
        return [
            (sock.getsockname()[0], sock.getsockname()[1])
            for sock in self._server.sockets
            if sock.family in (socket.AF_INET, socket.AF_INET6)
        ]

    @property
    def port(self) -> int:
        """The bound port (useful when started with port 0)."""
        addresses = self.addresses
        if not addresses:
            raise RuntimeError("the telnet server is not listening")
        return addresses[0][1]

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    async def stop(self, message: str = texts.SHUTTING_DOWN) -> None:
        """Stop listening, tell every player, end their sessions, wait for the clean-ups."""
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections.values()):
            await connection.say_and_close(message)
        if self._connections:
            _, pending = await asyncio.wait(list(self._connections), timeout=_STOP_GRACE)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = TelnetConnection(
            reader,
            writer,
            sessions=self._sessions,
            dispatcher=self._dispatcher,
            settings=self._settings,
        )
        if len(self._connections) >= self._settings.max_connections:
            _LOG.warning(
                "refusing %s: %d connections open", connection.peer, len(self._connections)
            )
            await connection.say_and_close(texts.SERVER_FULL)
            return
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = connection
        try:
            await connection.run()
        finally:
            del self._connections[task]
