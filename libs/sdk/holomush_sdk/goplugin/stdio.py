"""Plugin side of ``plugin.GRPCStdio``: program output after the handshake goes to the host.

After the handshake go-plugin points the *variables* ``os.Stdout``/``os.Stderr`` at pipes
that StreamStdio drains (wire protocol §6.3); file descriptors 1 and 2 stay as they were.
The Python equivalent swaps ``sys.stdout``/``sys.stderr`` for writers feeding a buffer
that StreamStdio serves in chunks of at most 1 KiB, tagged STDOUT or STDERR. Logging
stays on fd 2 (see hclog.py).

Unlike a Go plugin, writers never block: if the host does not read, up to 4 MiB is kept
and later output is dropped (with one warning in the log) rather than hanging the plugin.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
import threading
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Final, TextIO

import grpc.aio

from hashicorp.goplugin import grpc_stdio_pb2_grpc
from hashicorp.goplugin.grpc_stdio_pb2 import StdioData

CHUNK_BYTES: Final = 1024
MAX_BUFFERED_BYTES: Final = 4 * 1024 * 1024

STDOUT: Final = StdioData.STDOUT
STDERR: Final = StdioData.STDERR

_log = logging.getLogger(__name__)


class StdioCapture:
    """Thread-safe buffer of (channel, bytes) writes, drained by StreamStdio."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._lock = threading.Lock()
        self._pending: deque[tuple[StdioData.Channel.ValueType, bytes]] = deque()
        self._buffered = 0
        self._dropped = 0
        self._closed = False
        self._ready = asyncio.Event()
        self._saved: tuple[TextIO, TextIO] | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    def write(self, channel: StdioData.Channel.ValueType, data: bytes) -> None:
        """Queue program output (callable from any thread)."""
        if not data:
            return
        with self._lock:
            if self._closed:
                return
            if self._buffered + len(data) > MAX_BUFFERED_BYTES:
                first_drop = self._dropped == 0
                self._dropped += len(data)
                if first_drop:
                    _log.warning(
                        "the host is not reading plugin output; dropping stdout/stderr writes"
                    )
                return
            was_empty = not self._pending
            self._pending.append((channel, data))
            self._buffered += len(data)
        if was_empty:
            self._wake()

    def take(self) -> list[StdioData]:
        """Everything queued so far, as chunks of at most 1 KiB (same-channel writes merged)."""
        with self._lock:
            pending, self._pending = self._pending, deque()
            self._buffered = 0
            if not pending:
                self._ready.clear()
        messages: list[StdioData] = []
        channel, parts = StdioData.INVALID, bytearray()
        for write_channel, data in pending:
            if write_channel != channel and parts:
                messages.extend(_chunks(channel, parts))
                parts = bytearray()
            channel = write_channel
            parts += data
        if parts:
            messages.extend(_chunks(channel, parts))
        return messages

    async def wait(self) -> None:
        """Until something is queued or the capture closes."""
        await self._ready.wait()
        self._ready.clear()

    def close(self) -> None:
        """Stop accepting output; streams flush what is queued and end."""
        with self._lock:
            self._closed = True
        self._wake()

    def install(self) -> None:
        """Point ``sys.stdout``/``sys.stderr`` at this capture."""
        if self._saved is None:
            self._saved = (sys.stdout, sys.stderr)
            sys.stdout = _text_writer(self, STDOUT)
            sys.stderr = _text_writer(self, STDERR)

    def uninstall(self) -> None:
        """Restore the streams ``install`` replaced."""
        if self._saved is not None:
            sys.stdout, sys.stderr = self._saved
            self._saved = None

    def _wake(self) -> None:
        if threading.get_ident() == self._loop_thread:
            self._ready.set()
            return
        # RuntimeError: the loop has already closed, so nobody is left to read.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._ready.set)


def _chunks(channel: StdioData.Channel.ValueType, data: bytearray) -> list[StdioData]:
    return [
        StdioData(channel=channel, data=bytes(data[i : i + CHUNK_BYTES]))
        for i in range(0, len(data), CHUNK_BYTES)
    ]


class _ChannelWriter(io.BufferedIOBase):
    """Binary end of the replacement stream: every write goes straight to the capture."""

    def __init__(self, capture: StdioCapture, channel: StdioData.Channel.ValueType) -> None:
        super().__init__()
        self._capture = capture
        self._channel = channel

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._capture.write(self._channel, chunk)
        return len(chunk)


def _text_writer(capture: StdioCapture, channel: StdioData.Channel.ValueType) -> TextIO:
    # write_through: a print() reaches the host without an explicit flush, as in Go.
    # typeshed wants a full buffered reader/writer; a write-only buffer is all we need.
    return io.TextIOWrapper(  # type: ignore[type-var]
        _ChannelWriter(capture, channel),
        encoding="utf-8",
        errors="backslashreplace",
        write_through=True,
    )


class StdioServicer(grpc_stdio_pb2_grpc.GRPCStdioServicer):
    """``plugin.GRPCStdio/StreamStdio``: streams the capture until the plugin stops."""

    def __init__(self, capture: StdioCapture) -> None:
        self._capture = capture

    async def StreamStdio(
        self, request: Any, context: grpc.aio.ServicerContext[Any, StdioData]
    ) -> AsyncIterator[StdioData]:
        while True:
            for message in self._capture.take():
                yield message
            if self._capture.closed:
                for message in self._capture.take():
                    yield message
                return
            await self._capture.wait()
