"""go-plugin's GRPCBroker, non-multiplexed (wire protocol §4), for host and plugin alike.

Either side can *serve* a gRPC service under a numeric broker ID (a fresh unix-socket
server, announced to the peer as ``ConnInfo{service_id, network, address}`` over the
``plugin.GRPCBroker/StartStream`` stream) or *dial* an ID the peer announced. The app
protocol carries the IDs inside its own messages.

Go's timing is kept: a dial waits at most 5 s for the announcement, an announcement
expires 5 s after it arrives, each announcement serves one dial, and a second
announcement for an ID whose first is still unconsumed is dropped. Multiplexing
("knocks") is not implemented; a knock request is answered with an error ack so the peer
fails fast instead of timing out.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Final

import grpc
import grpc.aio

from hashicorp.goplugin.grpc_broker_pb2 import ConnInfo
from holomush_sdk.goplugin.channel_security import ChannelSecurity
from holomush_sdk.goplugin.errors import BrokerError
from holomush_sdk.goplugin.grpc_options import UNLIMITED_MESSAGE_SIZE
from holomush_sdk.goplugin.listener import (
    apply_socket_group,
    new_socket_path,
    remove_socket,
    socket_dir,
)

__all__ = ["DEFAULT_ANNOUNCEMENT_TTL", "DEFAULT_DIAL_TIMEOUT", "BrokerRegister", "GRPCBroker"]

DEFAULT_DIAL_TIMEOUT: Final = 5.0
DEFAULT_ANNOUNCEMENT_TTL: Final = 5.0
MUX_UNSUPPORTED_KNOCK_ERROR: Final = "gRPC broker multiplexing is not supported by this peer"

BrokerRegister = Callable[[grpc.aio.Server], Awaitable[None] | None]

_log = logging.getLogger(__name__)


class _Slot:
    """Room for one unconsumed announcement of a broker ID (a Go chan of capacity 1)."""

    __slots__ = ("expiry", "queue")

    def __init__(self) -> None:
        self.queue: asyncio.Queue[ConnInfo] = asyncio.Queue(maxsize=1)
        self.expiry: asyncio.TimerHandle | None = None


class GRPCBroker:
    """One side's broker for one plugin connection."""

    def __init__(
        self,
        security: ChannelSecurity,
        *,
        socket_directory: str | None = None,
        announcement_ttl: float = DEFAULT_ANNOUNCEMENT_TTL,
        stop_grace: float = 0.5,
    ) -> None:
        self._security = security
        self._socket_directory = socket_directory
        self._announcement_ttl = announcement_ttl
        self._stop_grace = stop_grace
        self._last_id = 0
        self._pending: dict[int, _Slot] = {}
        self._outgoing: asyncio.Queue[tuple[ConnInfo, asyncio.Future[None]]] = asyncio.Queue()
        self._servers: list[tuple[grpc.aio.Server, str]] = []
        self._stream_attached = False
        self._closed = asyncio.Event()
        self._close_done: asyncio.Future[None] | None = None

    # -- public API ---------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def next_id(self) -> int:
        """A new ID for this side (1, 2, 3, …; each side counts on its own)."""
        self._last_id = (self._last_id + 1) & 0xFFFFFFFF
        return self._last_id

    def announced_ids(self) -> list[int]:
        """IDs the peer announced that no dial has consumed yet (for diagnostics)."""
        return sorted(i for i, slot in self._pending.items() if not slot.queue.empty())

    async def accept_and_serve(self, broker_id: int, register: BrokerRegister) -> None:
        """Serve a new gRPC server under ``broker_id`` until the broker closes.

        ``register`` adds the services to the server. Returns once the announcement has
        been written to the broker stream (it waits for the stream to exist).
        """
        self._require_open()
        path = new_socket_path(self._socket_directory or socket_dir(os.environ))
        server = grpc.aio.server(
            interceptors=self._security.server_interceptors(), options=UNLIMITED_MESSAGE_SIZE
        )
        try:
            registered = register(server)
            if inspect.isawaitable(registered):
                await registered
            self._security.add_port(server, f"unix:{path}")
            await server.start()
            apply_socket_group(path, os.environ)
        except BaseException:
            await server.stop(None)
            remove_socket(path)
            raise
        if self.closed:
            await server.stop(None)
            remove_socket(path)
            raise BrokerError("broker closed")
        self._servers.append((server, path))
        await self._send(ConnInfo(service_id=broker_id, network="unix", address=path))

    async def dial(
        self,
        broker_id: int,
        *,
        timeout: float = DEFAULT_DIAL_TIMEOUT,  # noqa: ASYNC109 (go-plugin's 5 s wait)
    ) -> grpc.aio.Channel:
        """Connect to the service the peer announced under ``broker_id``.

        Waits up to ``timeout`` seconds for the announcement. The caller owns (and closes)
        the returned channel.
        """
        self._require_open()
        slot = self._pending.get(broker_id)
        if slot is None:
            slot = self._pending[broker_id] = _Slot()
        try:
            info = await asyncio.wait_for(slot.queue.get(), timeout)
        except TimeoutError:
            if self._pending.get(broker_id) is slot and slot.queue.empty():
                del self._pending[broker_id]
            raise BrokerError("timeout waiting for connection info") from None
        if slot.expiry is not None:
            slot.expiry.cancel()
        if self._pending.get(broker_id) is slot and slot.queue.empty():
            del self._pending[broker_id]
        return self._security.open_channel(_dial_target(info), list(UNLIMITED_MESSAGE_SIZE))

    async def close(self) -> None:
        """Stop every brokered server, fail pending sends, end the stream. Idempotent."""
        if self._close_done is not None:
            await asyncio.shield(self._close_done)
            return
        self._close_done = asyncio.get_running_loop().create_future()
        self._closed.set()
        try:
            while not self._outgoing.empty():
                _, sent = self._outgoing.get_nowait()
                if not sent.done():
                    sent.set_exception(BrokerError("broker closed"))
            for slot in self._pending.values():
                if slot.expiry is not None:
                    slot.expiry.cancel()
            self._pending.clear()
            servers, self._servers = self._servers, []
            await asyncio.gather(*(server.stop(self._stop_grace) for server, _ in servers))
            for _, path in servers:
                remove_socket(path)
        finally:
            self._close_done.set_result(None)

    # -- the StartStream stream ---------------------------------------------------------

    async def run_stream(
        self,
        incoming: AsyncIterable[ConnInfo],
        send: Callable[[ConnInfo], Awaitable[None]],
    ) -> None:
        """Drive one StartStream until it ends or the broker closes; then close the broker.

        The host calls this with its client call; the plugin with its handler's request
        iterator and ``context.write``. Go keeps one stream per connection, so a second
        one is refused.
        """
        if self._stream_attached:
            raise BrokerError("the broker stream is already open")
        self._stream_attached = True
        tasks = [
            asyncio.create_task(self._write_loop(send), name="broker-writer"),
            asyncio.create_task(self._read_loop(incoming), name="broker-reader"),
            asyncio.create_task(self._closed.wait(), name="broker-closed"),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.close()

    async def _write_loop(self, send: Callable[[ConnInfo], Awaitable[None]]) -> None:
        # go-plugin streams are not safe for concurrent writes: one writer only.
        while True:
            message, sent = await self._outgoing.get()
            try:
                await send(message)
            except asyncio.CancelledError:
                if not sent.done():
                    sent.set_exception(BrokerError("broker closed"))
                raise
            except Exception as exc:
                if not sent.done():
                    sent.set_exception(BrokerError(f"broker stream send failed: {exc}"))
                _log.debug("broker stream send failed: %s", exc)
                return
            if not sent.done():
                sent.set_result(None)

    async def _read_loop(self, incoming: AsyncIterable[ConnInfo]) -> None:
        try:
            async for message in incoming:
                self._route(message)
        except grpc.aio.AioRpcError as exc:
            # go-plugin ignores broker stream errors (e.g. an Unimplemented peer).
            _log.debug("broker stream ended: %s %s", exc.code(), exc.details())

    def _route(self, message: ConnInfo) -> None:
        if message.HasField("knock") and message.knock.knock and not message.knock.ack:
            _log.warning(
                "peer sent a multiplexing knock for broker ID %d; multiplexing is not supported",
                message.service_id,
            )
            reply = ConnInfo(service_id=message.service_id)
            reply.knock.knock = True
            reply.knock.ack = True
            reply.knock.error = MUX_UNSUPPORTED_KNOCK_ERROR
            self._queue_send(reply).add_done_callback(_ignore_outcome)
            return
        slot = self._pending.get(message.service_id)
        if slot is None:
            slot = self._pending[message.service_id] = _Slot()
        try:
            slot.queue.put_nowait(message)
        except asyncio.QueueFull:
            _log.debug("dropped a second announcement for broker ID %d", message.service_id)
            return
        if slot.expiry is not None:
            slot.expiry.cancel()
        slot.expiry = asyncio.get_running_loop().call_later(
            self._announcement_ttl, self._expire, message.service_id, slot
        )

    def _expire(self, broker_id: int, slot: _Slot) -> None:
        if self._pending.get(broker_id) is slot:
            del self._pending[broker_id]

    # -- helpers ------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self.closed:
            raise BrokerError("broker closed")

    def _queue_send(self, message: ConnInfo) -> asyncio.Future[None]:
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outgoing.put_nowait((message, sent))
        return sent

    async def _send(self, message: ConnInfo) -> None:
        self._require_open()
        await self._queue_send(message)


def _ignore_outcome(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()  # a fire-and-forget send: mark any failure as seen


def _dial_target(info: ConnInfo) -> str:
    if info.network == "unix":
        return f"unix:{info.address}"
    if info.network == "tcp":
        host, _, port = info.address.rpartition(":")
        return f"{host or '127.0.0.1'}:{port}"
    raise BrokerError(f"Unknown address type: {info.address}")
