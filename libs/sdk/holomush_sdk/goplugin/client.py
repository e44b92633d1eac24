"""Host side: start a go-plugin gRPC plugin process and hold its connection.

``start_plugin`` does what go-plugin's ``Client.Start`` + ``Client.Client`` do (wire
protocol §1.1, §1.6-§1.8): spawn the executable with the cookie, version and port
variables (inherited ``PLUGIN_*`` and TLS variables scrubbed), read the first stdout line
within the start timeout and judge it with go-plugin's rules and messages, connect, open
the broker and stdio streams, and Ping. Stderr is re-logged through Python logging (see
log_relay.py); stdout after the handshake is drained and discarded.

``PluginClient.kill`` is go-plugin's ``Kill``: close the broker, call Shutdown, give the
process 2 s to exit, then SIGKILL. Unexpected exits are reported through ``wait_exit``
and exit callbacks, for the host's supervisor.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import subprocess
from collections.abc import Callable, Collection
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

import grpc
import grpc.aio
from google.protobuf import empty_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hashicorp.goplugin import grpc_broker_pb2_grpc, grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc
from hashicorp.goplugin.grpc_controller_pb2 import Empty
from hashicorp.goplugin.grpc_stdio_pb2 import StdioData
from holomush_sdk.goplugin.broker import GRPCBroker
from holomush_sdk.goplugin.channel_security import ChannelSecurity
from holomush_sdk.goplugin.errors import PluginConnectError
from holomush_sdk.goplugin.grpc_options import UNLIMITED_MESSAGE_SIZE
from holomush_sdk.goplugin.handshake import (
    HOLOMUSH_HANDSHAKE,
    HandshakeConfig,
    HandshakeLine,
    parse_handshake_line,
)
from holomush_sdk.goplugin.launch import (
    STDOUT_LINE_LIMIT,
    PluginCommand,
    discard_stream,
    plugin_environment,
    read_handshake_line,
)
from holomush_sdk.goplugin.log_relay import PluginLogRelay, relay_stream
from holomush_sdk.goplugin.tls import PluginTransport, TransportSecurity

__all__ = [
    "DEFAULT_START_TIMEOUT",
    "GRACEFUL_EXIT_TIMEOUT",
    "PluginClient",
    "PluginCommand",
    "PluginExit",
    "StdioSink",
    "plugin_environment",
    "start_plugin",
]

DEFAULT_START_TIMEOUT: Final = 60.0  # go-plugin's StartTimeout
GRACEFUL_EXIT_TIMEOUT: Final = 2.0  # go-plugin waits this long after Shutdown
_PIPE_DRAIN_TIMEOUT: Final = 2.0  # a grandchild may hold the pipes open (§1.7)

StdioSink = Callable[[bytes], object]
"""Receives the plugin's program output (GRPCStdio) verbatim; may return an awaitable."""

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginExit:
    """How a plugin process ended.

    ``returncode`` is the exit status (negative: killed by that signal). ``requested`` is
    True when the host asked it to stop (``kill``); ``forced`` when it had to be SIGKILLed.
    """

    returncode: int
    requested: bool
    forced: bool

    @property
    def unexpected(self) -> bool:
        return not self.requested


class PluginClient:
    """One running plugin process and its gRPC connection (made by ``start_plugin``)."""

    def __init__(
        self,
        *,
        name: str,
        process: asyncio.subprocess.Process,
        transport: PluginTransport,
        handshake_line: HandshakeLine,
        security: ChannelSecurity,
        logger: logging.Logger,
    ) -> None:
        self.name = name
        self.pid: int = process.pid
        self.negotiated_version = handshake_line.app_version
        self.network = handshake_line.network
        self.address = handshake_line.address
        self.logger = logger
        self._process = process
        self._transport = transport
        # grpc dials lazily: nothing touches the socket before the first RPC.
        self.channel: grpc.aio.Channel = security.open_channel(
            _channel_target(handshake_line), list(UNLIMITED_MESSAGE_SIZE)
        )
        self.broker = GRPCBroker(security, socket_directory=transport.directory)
        self._health_check = health_pb2_grpc.HealthStub(self.channel).Check
        self._controller = grpc_controller_pb2_grpc.GRPCControllerStub(self.channel)
        self._ping_request = health_pb2.HealthCheckRequest(service="plugin")
        self._tasks: list[asyncio.Task[Any]] = []
        self._pipe_tasks: list[asyncio.Task[None]] = []
        self._broker_call: Any = None
        self._stdio_call: Any = None
        self._stop_requested = False
        self._forced = False
        self._kill_task: asyncio.Future[None] | None = None
        self._exit: PluginExit | None = None
        self._exited: asyncio.Future[PluginExit] = asyncio.get_running_loop().create_future()
        self._exit_callbacks: list[Callable[[PluginExit], object]] = []

    # -- public API ---------------------------------------------------------------------

    @property
    def exit_info(self) -> PluginExit | None:
        """None while the process runs."""
        return self._exit

    @property
    def exited(self) -> bool:
        return self._exit is not None

    async def ping(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 (the RPC deadline)
        """Health.Check("plugin"); only an RPC error fails (NOT_SERVING passes, as in Go)."""
        try:
            await self._health_check(self._ping_request, timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            raise PluginConnectError(
                f"plugin {self.name!r}: ping failed: {exc.code().name}: {exc.details()}"
            ) from exc
        except grpc.aio.UsageError:  # the channel was closed because the process exited
            raise PluginConnectError(
                f"plugin {self.name!r}: ping failed: the plugin has exited"
            ) from None

    async def kill(self) -> None:
        """Stop the plugin: broker closed, Shutdown, 2 s grace, then SIGKILL. Idempotent."""
        if self._kill_task is None:
            self._kill_task = asyncio.ensure_future(self._kill())
        await asyncio.shield(self._kill_task)

    async def wait_exit(self) -> int:
        """Wait until the process has exited (for any reason); return its exit status."""
        return (await asyncio.shield(self._exited)).returncode

    def add_exit_callback(self, callback: Callable[[PluginExit], object]) -> None:
        """Call ``callback(exit)`` once the process exits (at once if it already has)."""
        if self._exit is not None:
            asyncio.get_running_loop().call_soon(_run_callback, callback, self._exit)
        else:
            self._exit_callbacks.append(callback)

    async def __aenter__(self) -> PluginClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.kill()

    # -- start-up (used by start_plugin) ------------------------------------------------

    def _start_pipes(
        self,
        stderr_relay: asyncio.Task[None],
        stdout_drain: asyncio.Task[None],
    ) -> None:
        self._pipe_tasks = [stderr_relay, stdout_drain]
        self._tasks.append(
            asyncio.create_task(self._monitor_exit(), name=f"plugin-{self.name}-exit")
        )

    async def _connect(
        self, ping_timeout: float, stdout_sink: StdioSink | None, stderr_sink: StdioSink | None
    ) -> None:
        """Open the broker and stdio streams, then Ping."""
        # Both streams right away (§1.8): a Go plugin blocks broker sends until the stream
        # exists, and its stdout/stderr writers block once nobody drains StreamStdio.
        # No request iterator: the broker writes with call.write() (the stubs insist on one).
        self._broker_call = grpc_broker_pb2_grpc.GRPCBrokerStub(self.channel).StartStream()  # type: ignore[call-arg]
        self._tasks.append(
            asyncio.create_task(
                self.broker.run_stream(self._broker_call, self._broker_call.write),
                name=f"plugin-{self.name}-broker",
            )
        )
        self._stdio_call = grpc_stdio_pb2_grpc.GRPCStdioStub(self.channel).StreamStdio(
            empty_pb2.Empty()
        )
        self._tasks.append(
            asyncio.create_task(
                self._copy_stdio(self._stdio_call, stdout_sink, stderr_sink),
                name=f"plugin-{self.name}-stdio",
            )
        )
        try:
            await self._health_check(self._ping_request, timeout=ping_timeout)
        except grpc.aio.AioRpcError as exc:
            message = (
                f"plugin {self.name!r}: connection check failed: {exc.code().name}: {exc.details()}"
            )
            hint = self._transport.explain_connect_failure()
            raise PluginConnectError(f"{message}\n{hint}" if hint else message) from None

    async def _copy_stdio(
        self, call: Any, stdout_sink: StdioSink | None, stderr_sink: StdioSink | None
    ) -> None:
        sinks = {StdioData.STDOUT: stdout_sink, StdioData.STDERR: stderr_sink}
        try:
            async for chunk in call:
                if chunk.channel not in sinks:
                    self.logger.warning("unknown stdio channel %d from plugin", chunk.channel)
                    continue
                sink = sinks[chunk.channel]
                if sink is None:
                    continue
                try:
                    result = sink(chunk.data)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    self.logger.exception("the plugin's stdio sink failed; output dropped")
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            if code == grpc.StatusCode.UNIMPLEMENTED:
                self.logger.warning(
                    "plugin does not implement GRPCStdio; its program output is lost"
                )
            elif code not in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE):
                self.logger.warning("plugin stdio stream failed: %s: %s", code.name, exc.details())

    # -- stopping -----------------------------------------------------------------------

    async def _kill(self) -> None:
        self._stop_requested = True
        if self._exit is None:
            await self.broker.close()
            with contextlib.suppress(grpc.aio.AioRpcError):
                # The reply often never arrives: the plugin stops its server right away.
                await self._controller.Shutdown(Empty(), timeout=GRACEFUL_EXIT_TIMEOUT)
            try:
                await asyncio.wait_for(asyncio.shield(self._exited), GRACEFUL_EXIT_TIMEOUT)
            except TimeoutError:
                self.logger.warning("plugin failed to exit gracefully", extra={"plugin": self.name})
                self._forced = True
                with contextlib.suppress(ProcessLookupError):
                    self._process.kill()
        await asyncio.shield(self._exited)

    async def _monitor_exit(self) -> None:
        returncode = await self._process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*self._pipe_tasks, return_exceptions=True), _PIPE_DRAIN_TIMEOUT
            )
        info = PluginExit(
            returncode=returncode, requested=self._stop_requested, forced=self._forced
        )
        self._exit = info
        if info.requested:
            self.logger.info(
                "plugin process exited", extra={"plugin": self.name, "exit_code": returncode}
            )
        else:
            self.logger.error(
                "plugin process exited unexpectedly with status %d",
                returncode,
                extra={"plugin": self.name, "exit_code": returncode},
            )
        await self._release()
        if not self._exited.done():
            self._exited.set_result(info)
        for callback in self._exit_callbacks:
            _run_callback(callback, info)
        self._exit_callbacks.clear()

    async def _release(self) -> None:
        """Close everything that belonged to the process (it has exited)."""
        for task in self._pipe_tasks:
            task.cancel()
        await self.broker.close()
        for call in (self._broker_call, self._stdio_call):
            if call is not None:
                call.cancel()
        await self.channel.close(None)
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._transport.cleanup()


_callback_tasks: set[asyncio.Future[Any]] = set()


def _run_callback(callback: Callable[[PluginExit], object], info: PluginExit) -> None:
    try:
        result = callback(info)
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            _callback_tasks.add(task)  # keep it alive until it finishes
            task.add_done_callback(_callback_tasks.discard)
    except Exception:
        _log.exception("plugin exit callback failed")


def _channel_target(line: HandshakeLine) -> str:
    if line.network == "unix":
        return f"unix:{line.address}"
    host, _, port = line.address.rpartition(":")
    return f"{host or '127.0.0.1'}:{port}"


async def start_plugin(
    name: str,
    command: PluginCommand,
    *,
    tls: TransportSecurity,
    handshake: HandshakeConfig = HOLOMUSH_HANDSHAKE,
    versions: Collection[int] | None = None,
    start_timeout: float = DEFAULT_START_TIMEOUT,
    stdout_sink: StdioSink | None = None,
    stderr_sink: StdioSink | None = None,
    logger: logging.Logger | None = None,
) -> PluginClient:
    """Start plugin ``name`` and return it connected and answering Ping.

    Raises HandshakeError (go-plugin's message) when the plugin does not produce a valid
    handshake line within ``start_timeout``, and PluginConnectError when the connection
    or the first Ping fails; the process is killed and its files removed either way.
    ``stdout_sink``/``stderr_sink`` get the plugin's program output (GRPCStdio; go-plugin
    SyncStdout/SyncStderr); its stderr *logs* go to ``logger``
    (default ``holomush.plugin.<name>``).
    """
    if not command.argv:
        raise ValueError("PluginCommand.argv must name an executable")
    versions = tuple(versions or (handshake.protocol_version,))
    plugin_logger = logger or logging.getLogger("holomush.plugin").getChild(name)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + start_timeout
    transport = tls.prepare(name)
    try:
        process = await asyncio.create_subprocess_exec(
            *command.argv,
            env=plugin_environment(
                command, handshake=handshake, versions=versions, extra=transport.env
            ),
            cwd=command.cwd,
            stdin=None if command.inherit_stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            limit=STDOUT_LINE_LIMIT,
        )
    except BaseException:
        transport.cleanup()
        raise
    assert process.stdout is not None
    assert process.stderr is not None
    stderr_relay = asyncio.create_task(
        relay_stream(process.stderr, PluginLogRelay(plugin_logger, name)),
        name=f"plugin-{name}-stderr",
    )
    client: PluginClient | None = None
    try:
        line = await read_handshake_line(process, command.argv[0], deadline)
        handshake_line = parse_handshake_line(line, allowed_versions=versions)
        security = transport.channel_security(handshake_line)
        plugin_logger.debug(
            "using plugin", extra={"plugin": name, "version": handshake_line.app_version}
        )
        client = PluginClient(
            name=name,
            process=process,
            transport=transport,
            handshake_line=handshake_line,
            security=security,
            logger=plugin_logger,
        )
        client._start_pipes(stderr_relay, asyncio.create_task(discard_stream(process.stdout)))
        await client._connect(max(deadline - loop.time(), 1.0), stdout_sink, stderr_sink)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        if client is not None:
            client._stop_requested = client._forced = True
            await asyncio.shield(client._exited)
        else:
            await process.wait()
            # Keep the plugin's last words (often the reason it failed) in the log.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(stderr_relay), _PIPE_DRAIN_TIMEOUT)
            stderr_relay.cancel()
            transport.cleanup()
        raise
    plugin_logger.debug("plugin started", extra={"plugin": name, "pid": process.pid})
    return client
