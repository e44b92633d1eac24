"""Host client against real plugin processes: start, call, stop, and every way to fail."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time

import grpc.aio
import pytest

from holomush_sdk.goplugin.client import PluginExit, plugin_environment, start_plugin
from holomush_sdk.goplugin.errors import HandshakeError, PluginConnectError
from holomush_sdk.goplugin.handshake import HOLOMUSH_HANDSHAKE
from holomush_sdk.goplugin.tests.fixtures.fixture_service import FIXTURE_SERVICE, call
from holomush_sdk.goplugin.tests.support import RecordCollector, fixture_command, running
from holomush_sdk.goplugin.tls import TransportSecurity


def _exists(path: str) -> bool:
    return os.path.exists(path)


async def test_start_ping_call_and_graceful_kill(mtls: TransportSecurity) -> None:
    client = await start_plugin("echo", fixture_command("echo_plugin"), tls=mtls)
    try:
        assert client.negotiated_version == 1
        assert client.network == "unix"
        private_dir = os.path.dirname(client.address)
        assert os.stat(private_dir).st_mode & 0o777 == 0o700
        await client.ping()
        assert await call(client.channel, FIXTURE_SERVICE, "Echo")(b"ping-pong") == b"ping-pong"
        assert not client.exited
    finally:
        await client.kill()
    assert client.exit_info == PluginExit(returncode=0, requested=True, forced=False)
    assert await client.wait_exit() == 0
    assert not _exists(private_dir)  # key material and sockets removed
    with pytest.raises(PluginConnectError, match="ping failed"):
        await client.ping(timeout=1)
    await client.kill()  # idempotent


@pytest.mark.parametrize(("host_versions", "expected"), [((1, 2), 2), ((1,), 1), ((2, 3), 2)])
async def test_negotiated_version(
    mtls: TransportSecurity, host_versions: tuple[int, ...], expected: int
) -> None:
    command = fixture_command("echo_plugin", FIXTURE_VERSIONS="1,2")
    async with running("versions", command, tls=mtls, versions=host_versions) as client:
        assert client.negotiated_version == expected


async def test_no_common_version(mtls: TransportSecurity) -> None:
    command = fixture_command("echo_plugin", FIXTURE_VERSIONS="2,3")
    with pytest.raises(HandshakeError) as caught:
        await start_plugin("versions", command, tls=mtls, versions=[1])
    # The plugin falls back to its lowest version and the host rejects it.
    assert (
        str(caught.value)
        == "Incompatible API version with plugin. Plugin version: 2, Client versions: [1]"
    )


async def test_a_bad_handshake_line_fails_with_go_plugins_message(mtls: TransportSecurity) -> None:
    command = fixture_command(
        "raw_plugin", FIXTURE_MODE="line", FIXTURE_LINE="2|1|unix|/tmp/x|grpc|"
    )
    started = time.monotonic()
    with pytest.raises(
        HandshakeError, match=r"^Incompatible core API version with plugin\. Plugin version: 2"
    ):
        await start_plugin("bad-line", command, tls=mtls)
    assert time.monotonic() - started < 10  # the plugin was killed, not waited for


async def test_plugin_that_exits_before_the_handshake(
    mtls: TransportSecurity, collect_logs
) -> None:
    logs: RecordCollector = collect_logs("holomush.plugin.early-exit")
    command = fixture_command("raw_plugin", FIXTURE_MODE="exit", FIXTURE_EXIT_CODE="3")
    with pytest.raises(HandshakeError) as caught:
        await start_plugin("early-exit", command, tls=mtls)
    assert str(caught.value) == "plugin exited before we could connect"
    assert caught.value.exit_code == 3
    assert "fixture: failing before the handshake" in logs.messages()


async def test_stdout_closed_without_a_line(mtls: TransportSecurity) -> None:
    command = fixture_command("raw_plugin", FIXTURE_MODE="close-stdout")
    with pytest.raises(HandshakeError) as caught:
        await start_plugin("no-line", command, tls=mtls)
    assert str(caught.value).startswith(
        "Unrecognized remote plugin message: \nFailed to read any lines from plugin's stdout\n"
        "This usually means\n"
    )


async def test_start_timeout(mtls: TransportSecurity) -> None:
    command = fixture_command("raw_plugin", FIXTURE_MODE="silent")
    started = time.monotonic()
    with pytest.raises(HandshakeError, match=r"^timeout while waiting for plugin to start$"):
        await start_plugin("silent", command, tls=mtls, start_timeout=0.5)
    assert time.monotonic() - started < 5


async def test_sigkill_when_the_plugin_does_not_exit_after_shutdown(
    mtls: TransportSecurity, collect_logs
) -> None:
    logs: RecordCollector = collect_logs("holomush.plugin.hangs")
    client = await start_plugin(
        "hangs", fixture_command("echo_plugin", FIXTURE_HANG_ON_SHUTDOWN="1"), tls=mtls
    )
    started = time.monotonic()
    await client.kill()
    assert time.monotonic() - started >= 2.0  # go-plugin's grace period
    assert client.exit_info == PluginExit(returncode=-signal.SIGKILL, requested=True, forced=True)
    assert "plugin failed to exit gracefully" in logs.messages()


async def test_unexpected_exit_is_reported(mtls: TransportSecurity, collect_logs) -> None:
    logs: RecordCollector = collect_logs("holomush.plugin.crashes")
    async with running("crashes", fixture_command("echo_plugin"), tls=mtls) as client:
        seen: asyncio.Future[PluginExit] = asyncio.get_running_loop().create_future()
        client.add_exit_callback(seen.set_result)
        with pytest.raises(grpc.aio.AioRpcError):  # the process dies mid-call
            await call(client.channel, FIXTURE_SERVICE, "Exit")(b"7")
        assert await asyncio.wait_for(client.wait_exit(), 10) == 7
        info = await asyncio.wait_for(seen, 10)
        assert info == PluginExit(returncode=7, requested=False, forced=False)
        assert info.unexpected
        record = await logs.wait_for(lambda r: "exited unexpectedly" in r.getMessage())
        assert record.levelno == logging.ERROR


async def test_sigint_is_ignored_and_stdin_eof_does_not_stop_it(
    mtls: TransportSecurity, collect_logs
) -> None:
    logs: RecordCollector = collect_logs("holomush.plugin.stubborn")
    # stdin is /dev/null by default: the plugin sees EOF from the start.
    async with running("stubborn", fixture_command("echo_plugin"), tls=mtls) as client:
        os.kill(client.pid, signal.SIGINT)
        await logs.wait_for(lambda r: r.getMessage().startswith("plugin received interrupt signal"))
        await client.ping()
        assert not client.exited
    assert client.exit_info is not None
    assert client.exit_info.returncode == 0


async def test_leaked_protocol_variables_are_not_inherited(
    mtls: TransportSecurity, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host that is itself a plugin must not pass its own PLUGIN_*/TLS variables on."""
    monkeypatch.setenv("PLUGIN_CLIENT_CERT", "-----BEGIN CERTIFICATE-----\nleaked\n")
    monkeypatch.setenv("HOLOMUSH_PLUGIN_CERT", "/nonexistent/leaked.crt")
    monkeypatch.setenv("PLUGIN_MULTIPLEX_GRPC", "true")
    # fixture_command copies os.environ into the command env; inheritance is what we test.
    command = fixture_command("echo_plugin")
    command = type(command)(argv=command.argv, env={"PYTHONPATH": command.env["PYTHONPATH"]})
    async with running(
        "clean-env", command, tls=TransportSecurity.plaintext(insecure=True)
    ) as client:
        await client.ping()


def test_plugin_environment() -> None:
    command = fixture_command("echo_plugin")
    command = type(command)(
        argv=["x"], env={"A": "1", "PLUGIN_MULTIPLEX_GRPC": "true"}, inherit_env=False
    )
    env = plugin_environment(
        command, handshake=HOLOMUSH_HANDSHAKE, versions=[2, 1], extra={"X": "y"}
    )
    assert env == {
        "A": "1",
        "PLUGIN_MULTIPLEX_GRPC": "true",  # explicit command env is kept
        "HOLOMUSH_PLUGIN": "holomush-v1",
        "PLUGIN_MIN_PORT": "10000",
        "PLUGIN_MAX_PORT": "25000",
        "PLUGIN_PROTOCOL_VERSIONS": "1,2",
        "X": "y",
    }


async def test_invalid_plugin_name_changes_nothing(mtls: TransportSecurity) -> None:
    with pytest.raises(ValueError, match="invalid plugin name"):
        await start_plugin("Bad_Name", fixture_command("echo_plugin"), tls=mtls)
