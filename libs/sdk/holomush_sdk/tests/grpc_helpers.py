"""Small helpers for tests that need a real in-process gRPC server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import grpc


@contextlib.asynccontextmanager
async def serving(
    *register: Callable[[grpc.aio.Server], Any],
    interceptors: Sequence[grpc.aio.ServerInterceptor[Any, Any]] = (),
) -> AsyncIterator[str]:
    """Start a grpc.aio server with the given registrations; yield its address."""
    server = grpc.aio.server(interceptors=list(interceptors))
    for add in register:
        add(server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(None)


class AddressBroker:
    """Stands in for the go-plugin broker in unit tests: broker ID → server address."""

    def __init__(self, addresses: dict[int, str]) -> None:
        self.addresses = addresses
        self.dials: list[int] = []
        self.channels: list[grpc.aio.Channel] = []

    async def dial(self, id: int, /, *, timeout: float = 5.0) -> grpc.aio.Channel:  # noqa: ASYNC109
        self.dials.append(id)
        if id not in self.addresses:
            raise TimeoutError("timeout waiting for connection info")
        channel = grpc.aio.insecure_channel(self.addresses[id])
        self.channels.append(channel)
        return channel

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close(None)
