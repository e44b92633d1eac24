"""Data paths through real processes: GRPCStdio, large messages, hclog logs."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from holomush_sdk.goplugin.client import start_plugin
from holomush_sdk.goplugin.errors import HandshakeError
from holomush_sdk.goplugin.tests.fixtures.fixture_service import FIXTURE_SERVICE, call
from holomush_sdk.goplugin.tests.support import RecordCollector, fixture_command, running
from holomush_sdk.goplugin.tls import TransportSecurity


class _Sink:
    """A StdioSink that lets the test wait for an exact amount of output."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.changed = asyncio.Event()

    def __call__(self, chunk: bytes) -> None:
        self.data += chunk
        self.changed.set()

    async def wait_for_length(self, length: int) -> bytes:
        async with asyncio.timeout(10):
            while len(self.data) < length:
                self.changed.clear()
                await self.changed.wait()
        return bytes(self.data)


async def test_program_output_reaches_the_host_sinks_exactly(mtls: TransportSecurity) -> None:
    stdout, stderr = _Sink(), _Sink()
    big = "é" * 3000 + "\n"  # multi-byte text over several 1 KiB chunks
    async with running(
        "stdio", fixture_command("echo_plugin"), tls=mtls, stdout_sink=stdout, stderr_sink=stderr
    ) as client:
        printer = call(client.channel, FIXTURE_SERVICE, "Print")
        await printer(json.dumps({"stdout": "hello\nworld!", "stderr": "warn: x"}).encode())
        await printer(json.dumps({"stdout": big}).encode())
        expected_out = ("hello\nworld!" + big).encode()
        assert await stdout.wait_for_length(len(expected_out)) == expected_out
        assert await stderr.wait_for_length(7) == b"warn: x"


async def test_real_stdout_after_the_handshake_is_drained(mtls: TransportSecurity) -> None:
    """4 MiB to fd 1, far beyond a pipe buffer: it completes only because the host reads."""
    async with running("flood", fixture_command("echo_plugin"), tls=mtls) as client:
        flood = call(client.channel, FIXTURE_SERVICE, "FloodRealStdout")
        assert await asyncio.wait_for(flood(b"1024"), 30) == b"done"
        await client.ping()


async def test_messages_over_4_mib_both_ways(mtls: TransportSecurity) -> None:
    payload = bytes(range(256)) * (5 * 1024 * 1024 // 256)  # 5 MiB
    async with running("big", fixture_command("echo_plugin"), tls=mtls) as client:
        assert await call(client.channel, FIXTURE_SERVICE, "Echo")(payload) == payload


async def test_plugin_logs_arrive_as_python_records(mtls: TransportSecurity, collect_logs) -> None:
    logs: RecordCollector = collect_logs("holomush.plugin.logger")
    async with running("logger", fixture_command("echo_plugin"), tls=mtls) as client:
        emit = call(client.channel, FIXTURE_SERVICE, "Log")
        await emit(
            json.dumps(
                {"level": "WARNING", "message": "disk low", "kv": {"foo": "bar", "n": 12}}
            ).encode()
        )
        await emit(json.dumps({"level": "ERROR", "message": "it broke"}).encode())
        warning = await logs.wait_for(lambda r: r.getMessage().startswith("disk low"))
        assert warning.levelno == logging.WARNING
        assert warning.getMessage() == "disk low: @module=fixture foo=bar n=12"
        assert warning.plugin == "logger"  # type: ignore[attr-defined]
        error = await logs.wait_for(lambda r: r.getMessage().startswith("it broke"))
        assert error.levelno == logging.ERROR


async def test_text_stderr_before_the_handshake_is_relayed_with_levels(
    mtls: TransportSecurity, collect_logs
) -> None:
    logs: RecordCollector = collect_logs("holomush.plugin.chatty")
    lines = [
        "[WARN] test line 98765",
        '{"@level":"info","@message":"json","k":"v"}',
        "panic: oh no",
        "goroutine 1",
    ]
    command = fixture_command("raw_plugin", FIXTURE_MODE="stderr", FIXTURE_STDERR=json.dumps(lines))
    with pytest.raises(HandshakeError, match="plugin exited before we could connect"):
        await start_plugin("chatty", command, tls=mtls)
    seen = [
        (r.levelno, r.getMessage())
        for r in logs.records
        if not r.getMessage().startswith("plugin process")
    ]
    assert seen == [
        (logging.WARNING, "[WARN] test line 98765"),
        (logging.INFO, "json: k=v"),
        (logging.ERROR, "panic: oh no"),
        (logging.ERROR, "goroutine 1"),
    ]
