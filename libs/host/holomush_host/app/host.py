"""`HostApp`: the whole host in one object, started in dependency order and stopped in
reverse.

Start: database (embedded unless a URL is given) → host data (migrations, default room)
→ sessions left by the previous run detached (resumable) and the session sweep started
→ plugins loaded → their policies and commands wired to the
dispatcher → telnet port → public gRPC port. A failing step stops what already started
and raises `HostStartError` with a sentence saying what to fix.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from holomush_host.app.config import HostConfig
from holomush_host.app.database import Database, open_database
from holomush_host.app.plugin_wiring import (
    ManagerAttributes,
    WiringProblem,
    running_plugins,
    wire_plugin,
)
from holomush_host.commands.registry import CommandRegistry
from holomush_host.data.errors import DataError
from holomush_host.data.host_data import HostData
from holomush_host.dispatch.authorization import HostAuthorization
from holomush_host.dispatch.builtins import HostCommands, register_builtins
from holomush_host.dispatch.dispatcher import CommandDispatcher
from holomush_host.gateway.server import TelnetServer
from holomush_host.gateway.sessions import PlayerSessions
from holomush_host.plugins.config import PluginManagerConfig
from holomush_host.plugins.manager import PluginManager
from holomush_host.plugins.report import LoadedPlugin, LoadReport
from holomush_host.services.public_server import PublicGrpcServer
from holomush_host.storage.embedded import EmbeddedPostgresError
from holomush_sdk.goplugin.tls import TransportSecurity

_LOG = logging.getLogger(__name__)
_T = TypeVar("_T")


class HostStartError(Exception):
    """The host could not start; the message says what failed and what to do."""


@dataclass(frozen=True)
class HostStatus:
    """What the start-up summary shows."""

    report: LoadReport
    plugins: tuple[LoadedPlugin, ...]
    wiring_problems: tuple[WiringProblem, ...]
    telnet_addresses: tuple[tuple[str, int], ...]
    grpc_target: str
    database: str
    plugins_dir: Path


class HostApp:
    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self._cleanups: list[tuple[str, Callable[[], Awaitable[object]]]] = []
        self.database: Database | None = None
        self.data: HostData | None = None
        self.plugins: PluginManager | None = None
        self.telnet: TelnetServer | None = None
        self.public: PublicGrpcServer | None = None
        self.registry = CommandRegistry()
        self._status: HostStatus | None = None

    @property
    def status(self) -> HostStatus:
        if self._status is None:
            raise RuntimeError("the host is not started")
        return self._status

    async def start(self) -> HostStatus:
        try:
            return await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> HostStatus:
        config = self.config
        database = await self._step("start the database", open_database(config))
        self.database = database
        self._cleanups.append(("database", database.close))

        data = await self._step("open the host database", HostData.open(database.url))
        self.data = data
        self._cleanups.append(("host data", data.close))
        sessions = PlayerSessions(data, ttl_seconds=config.session_ttl_seconds)
        left = await self._step("recover old sessions", sessions.recover_after_restart())
        if left.detached or left.ended:
            _LOG.info(
                "sessions left over from the previous run: %d detached (resumable), %d ended",
                left.detached,
                left.ended,
            )
        sessions.start_sweeping()
        self._cleanups.append(("session sweep", sessions.stop_sweeping))

        manager = PluginManager(
            PluginManagerConfig(
                config.plugins_dir,
                security=TransportSecurity.from_flags(insecure=config.insecure_plugins),
                database_url=database.url,
                trusted_plugins=config.trusted_plugins,
                start_timeout=config.plugin_start_timeout,
                init_timeout=config.plugin_start_timeout,
            ),
            data,
        )
        self.plugins = manager
        self._cleanups.append(("plugins", manager.stop))
        report = await manager.start()

        register_builtins(self.registry)
        authorization = HostAuthorization(
            data.world,
            data.sessions,
            ManagerAttributes(manager),
            lambda: running_plugins(manager),
            trusted_plugins=config.trusted_plugins,
        )
        problems = []
        for plugin in manager.loaded():
            problem = wire_plugin(plugin, self.registry, authorization)
            if problem is not None:
                _LOG.error(
                    "plugin %s runs, but players cannot reach it: %s",
                    problem.plugin,
                    problem.message,
                )
                problems.append(problem)
        dispatcher = CommandDispatcher(
            registry=self.registry,
            builtins=HostCommands(data.events, data.world, data.sessions, self.registry),
            engine=authorization.engine,
            attributes=authorization.attributes,
            plugins=manager,
            events=data.events,
            sessions=data.sessions,
            command_timeout=config.command_timeout,
        )

        telnet = TelnetServer(
            sessions,
            dispatcher,
            host=config.telnet_host,
            port=config.telnet_port,
            settings=config.telnet,
        )
        await self._listen("telnet", config.telnet_host, config.telnet_port, telnet.start())
        self.telnet = telnet
        self._cleanups.append(("telnet", telnet.stop))

        public = manager.public_server(f"{config.grpc_host}:{config.grpc_port}")
        await self._listen("gRPC", config.grpc_host, config.grpc_port, public.start())
        self.public = public
        self._cleanups.append(("gRPC", public.stop))

        self._status = HostStatus(
            report=report,
            plugins=tuple(manager.loaded()),
            wiring_problems=tuple(problems),
            telnet_addresses=tuple(telnet.addresses),
            grpc_target=public.target,
            database=database.description,
            plugins_dir=config.plugins_dir,
        )
        return self._status

    async def stop(self) -> None:
        """Stop everything that started, newest first; never raises."""
        while self._cleanups:
            what, cleanup = self._cleanups.pop()
            try:
                await cleanup()
            except Exception:
                _LOG.exception("stopping the %s failed", what)
        self._status = None

    @staticmethod
    async def _step(what: str, step: Awaitable[_T]) -> _T:
        try:
            return await step
        except (DataError, EmbeddedPostgresError, OSError) as exc:
            raise HostStartError(f"could not {what}: {exc}") from exc

    @staticmethod
    async def _listen(kind: str, host: str, port: int, start: Awaitable[object]) -> None:
        try:
            await start
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise HostStartError(
                f"cannot listen for {kind} on {host}:{port}: {reason} "
                f"(is another server using the port? choose another with --{kind.lower()}-port)"
            ) from exc


@contextlib.asynccontextmanager
async def running_host(config: HostConfig) -> AsyncIterator[HostApp]:
    """A started host, stopped on exit (for tests and embedding)."""
    app = HostApp(config)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
