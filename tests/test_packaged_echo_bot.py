"""The packaged echo-bot PEX, run as a real child process over go-plugin gRPC with mTLS."""

from __future__ import annotations

import asyncio
import json
import subprocess

from holomush.plugin.v1 import plugin_pb2, plugin_pb2_grpc
from holomush_sdk.goplugin.client import PluginCommand, start_plugin
from holomush_sdk.goplugin.tls import TransportSecurity
from packaged import ECHO_BOT_PEX, clean_env, pex_argv


def test_refuses_to_run_without_the_magic_cookie() -> None:
    result = subprocess.run(
        pex_argv(ECHO_BOT_PEX),
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == b""
    assert b"This binary is a plugin. These are not meant to be executed directly." in result.stderr


async def test_echoes_a_say_event_over_mtls() -> None:
    command = PluginCommand(argv=pex_argv(ECHO_BOT_PEX), env=clean_env())
    plugin = await start_plugin("echo-bot", command, tls=TransportSecurity.mtls(), start_timeout=60)
    try:
        stub = plugin_pb2_grpc.PluginServiceStub(plugin.channel)
        await stub.Init(plugin_pb2.InitRequest(config=plugin_pb2.ServiceConfig()), timeout=10)
        say = plugin_pb2.Event(
            id="01JD0000000000000000000000",
            stream="location:01JD0000000000000000000001",
            type="say",
            timestamp=1_700_000_000_000,
            actor_kind="character",
            actor_id="01JD0000000000000000000002",
            payload=json.dumps({"character_name": "Alice", "message": 'hello "world" ✓'}),
        )
        reply = await stub.HandleEvent(plugin_pb2.HandleEventRequest(event=say), timeout=10)
        assert [(e.stream, e.type) for e in reply.emit_events] == [(say.stream, "say")]
        assert json.loads(reply.emit_events[0].payload) == {"message": 'Echo: hello "world" ✓'}

        own_echo = plugin_pb2.Event()
        own_echo.CopyFrom(say)
        own_echo.actor_kind = "plugin"
        reply = await stub.HandleEvent(plugin_pb2.HandleEventRequest(event=own_echo), timeout=10)
        assert list(reply.emit_events) == []
    finally:
        await plugin.kill()
    assert await asyncio.wait_for(plugin.wait_exit(), 10) == 0
