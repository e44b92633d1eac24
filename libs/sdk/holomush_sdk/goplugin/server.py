"""Plugin side: serve a go-plugin gRPC plugin (what the SDK's ``serve`` runs).

Start-up follows go-plugin's ``plugin.Serve`` (wire protocol §1.2): check the magic
cookie, negotiate the app protocol, log hclog JSON to stderr, listen on a unix socket,
serve health ("plugin" SERVING), GRPCBroker, GRPCController, GRPCStdio and the app's
services on one grpc.aio server, print the one handshake line, then serve until the host
calls Shutdown (exit 0) or the host process disappears (exit 1). SIGINT is ignored and
stdin is never read, so neither Ctrl-C in the host's terminal nor a closed stdin stops
the plugin.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, NoReturn

import grpc
import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from hashicorp.goplugin import grpc_broker_pb2_grpc, grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc
from hashicorp.goplugin.grpc_broker_pb2 import ConnInfo
from hashicorp.goplugin.grpc_controller_pb2 import Empty
from holomush_sdk.goplugin.broker import GRPCBroker
from holomush_sdk.goplugin.envvars import PLUGIN_MULTIPLEX_GRPC, PLUGIN_PROTOCOL_VERSIONS
from holomush_sdk.goplugin.errors import BrokerError, TransportSecurityError
from holomush_sdk.goplugin.grpc_options import UNLIMITED_MESSAGE_SIZE
from holomush_sdk.goplugin.handshake import (
    HOLOMUSH_HANDSHAKE,
    HandshakeConfig,
    check_magic_cookie,
    format_handshake_line,
    negotiate_version,
)
from holomush_sdk.goplugin.hclog import install_plugin_logging, uninstall_plugin_logging
from holomush_sdk.goplugin.listener import (
    ListenerError,
    apply_socket_group,
    new_socket_path,
    remove_socket,
    socket_dir,
)
from holomush_sdk.goplugin.plugin_security import PluginSecurity, load_plugin_security
from holomush_sdk.goplugin.stdio import StdioCapture, StdioServicer
from holomush_sdk.goplugin.watchdog import ParentWatchdog

__all__ = [
    "EXIT_HOST_GONE",
    "HEALTH_SERVICE_NAME",
    "RegisterServices",
    "run_plugin",
    "serve_plugin",
]

RegisterServices = Callable[[grpc.aio.Server, GRPCBroker], Awaitable[None] | None]

HEALTH_SERVICE_NAME = "plugin"
EXIT_HOST_GONE = 1
# Long enough for the Shutdown reply and the last stdio bytes, well inside the host's 2 s.
_STOP_GRACE = 0.5

_log = logging.getLogger("holomush_sdk.goplugin.server")

# The host, as early as we can see it: if it dies during start-up, getppid() has already
# changed by the time the watchdog starts, and this is how the watchdog notices.
_PARENT_PID = os.getppid()


class _Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
    """``plugin.GRPCController/Shutdown``: reply, then stop (the stop runs after the reply)."""

    def __init__(self, request_stop: Callable[[int], None]) -> None:
        self._request_stop = request_stop

    async def Shutdown(
        self, request: Empty, context: grpc.aio.ServicerContext[Empty, Empty]
    ) -> Empty:
        self._request_stop(0)
        return Empty()


class _BrokerService(grpc_broker_pb2_grpc.GRPCBrokerServicer):
    """``plugin.GRPCBroker/StartStream``: hands the host's stream to the plugin's broker."""

    def __init__(self, broker: GRPCBroker) -> None:
        self._broker = broker

    # A writer-style handler (context.write): grpc.aio allows it, the stubs do not know it.
    async def StartStream(  # type: ignore[override]
        self, request_iterator: Any, context: grpc.aio.ServicerContext[ConnInfo, ConnInfo]
    ) -> None:
        try:
            await self._broker.run_stream(request_iterator, context.write)
        except BrokerError as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))


def _write_all(fd: int, text: str) -> None:
    view = memoryview(text.encode("utf-8"))
    while view:
        view = view[os.write(fd, view) :]


async def serve_plugin(
    register: RegisterServices,
    *,
    handshake: HandshakeConfig = HOLOMUSH_HANDSHAKE,
    versions: Collection[int] | None = None,
) -> int:
    """Serve the plugin until the host stops it; return the process exit code.

    ``register(server, broker)`` adds the app's services (it may be a coroutine function).
    ``versions`` are the app protocol versions this plugin speaks (default: the
    handshake's ``protocol_version``).
    """
    environ = os.environ
    problem = check_magic_cookie(handshake, environ)
    if problem is not None:
        _write_all(2, problem)
        return 1
    version = negotiate_version(
        versions or (handshake.protocol_version,), environ.get(PLUGIN_PROTOCOL_VERSIONS)
    )
    log_handler = install_plugin_logging()
    try:
        return await _PluginProcess(register, version, environ).run()
    finally:
        uninstall_plugin_logging(log_handler)


def run_plugin(register: RegisterServices, **kwargs: Any) -> NoReturn:
    """Entry point for a plugin's ``main``: serve, then exit with the returned code."""
    # Before asyncio.run, so that no KeyboardInterrupt handler is installed even briefly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(asyncio.run(serve_plugin(register, **kwargs)))


class _PluginProcess:
    """Everything between a valid cookie and the exit code."""

    def __init__(
        self, register: RegisterServices, version: int, environ: Mapping[str, str]
    ) -> None:
        self._register = register
        self._version = version
        self._environ = environ
        self._stop = asyncio.Event()
        self._exit_code = 0

    def request_stop(self, exit_code: int) -> None:
        if not self._stop.is_set():
            self._exit_code = exit_code
            self._stop.set()

    async def run(self) -> int:
        try:
            security = load_plugin_security(self._environ)
            directory = socket_dir(self._environ)
            path = new_socket_path(directory)
        except (TransportSecurityError, ListenerError) as exc:
            _log.error("plugin init error", extra={"error": str(exc)})
            return 1
        if security.mode == "plaintext":
            _log.warning(
                "serving without transport security: the host did not provide TLS settings"
            )

        broker = GRPCBroker(security.channel, socket_directory=directory)
        capture = StdioCapture(asyncio.get_running_loop())
        server = grpc.aio.server(
            interceptors=security.channel.server_interceptors(), options=UNLIMITED_MESSAGE_SIZE
        )
        try:
            await self._build(server, broker, capture, security, path)
        except Exception as exc:
            _log.error("plugin init error", exc_info=True, extra={"error": str(exc)})
            await server.stop(None)
            await broker.close()
            remove_socket(path)
            return 1

        _log.debug("plugin address", extra={"network": "unix", "address": path})
        watchdog = ParentWatchdog(self._on_parent_exit, parent_pid=_PARENT_PID)
        interrupt_handler = False
        try:
            self._print_handshake(path, security)
            watchdog.start()
            interrupt_handler = self._ignore_interrupts()
            capture.install()
            await self._stop.wait()
        finally:
            watchdog.stop()
            capture.close()
            await broker.close()
            await server.stop(_STOP_GRACE)
            capture.uninstall()
            if interrupt_handler:
                _restore_interrupts()
            remove_socket(path)
        return self._exit_code

    async def _build(
        self,
        server: grpc.aio.Server,
        broker: GRPCBroker,
        capture: StdioCapture,
        security: PluginSecurity,
        path: str,
    ) -> None:
        health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
        await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        await health_servicer.set(HEALTH_SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        grpc_broker_pb2_grpc.add_GRPCBrokerServicer_to_server(_BrokerService(broker), server)
        grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(
            _Controller(self.request_stop), server
        )
        grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(StdioServicer(capture), server)
        registered = self._register(server, broker)
        if inspect.isawaitable(registered):
            await registered
        security.channel.add_port(server, f"unix:{path}")
        await server.start()
        apply_socket_group(path, self._environ)

    def _print_handshake(self, path: str, security: PluginSecurity) -> None:
        mux = None
        if self._environ.get(PLUGIN_MULTIPLEX_GRPC):
            # Field 7 "false": the host then fails cleanly (ErrGRPCBrokerMuxNotSupported).
            _log.info(
                "the host asked for gRPC broker multiplexing, which this plugin does not support"
            )
            mux = False
        line = format_handshake_line(
            app_version=self._version,
            network="unix",
            address=path,
            server_cert_der=security.server_cert_der,
            mux_supported=mux,
        )
        sys.stdout.flush()  # anything printed earlier would precede the line anyway, as in Go
        _write_all(1, line)

    def _on_parent_exit(self) -> None:
        _log.warning("the host process has exited; stopping the plugin")
        self.request_stop(EXIT_HOST_GONE)

    def _ignore_interrupts(self) -> bool:
        """Log and ignore SIGINT (Ctrl-C reaches the whole process group; the host decides)."""
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(
                signal.SIGINT, _log.debug, "plugin received interrupt signal, ignoring"
            )
        except (ValueError, RuntimeError, NotImplementedError):
            return False  # not the main thread: signals are not ours to handle
        return True


def _restore_interrupts() -> None:
    with contextlib.suppress(ValueError, RuntimeError):
        asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
