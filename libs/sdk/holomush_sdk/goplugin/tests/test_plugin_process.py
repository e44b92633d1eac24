"""The plugin side as a go-plugin host sees it: a real fixture process, no host client."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import tempfile
from collections.abc import Iterator

import pytest

from holomush_sdk.goplugin.handshake import COOKIE_MISMATCH_MESSAGE, parse_handshake_line
from holomush_sdk.goplugin.log_relay import parse_hclog_json
from holomush_sdk.goplugin.tests.support import child_env, fixture_argv

COOKIE = {"HOLOMUSH_PLUGIN": "holomush-v1"}


def _env_without_protocol_vars(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in child_env().items() if not k.startswith(("PLUGIN_", "HOLOMUSH_"))}
    env.update(extra)
    return env


async def _run_to_exit(env: dict[str, str]) -> tuple[int, bytes, bytes]:
    process = await asyncio.create_subprocess_exec(
        *fixture_argv("echo_plugin"),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, stdout, stderr


@pytest.mark.parametrize("cookie", [None, "wrong", "holomush-v1\n"])
async def test_cookie_mismatch_exits_1_with_go_plugins_message(cookie: str | None) -> None:
    env = _env_without_protocol_vars()
    if cookie is not None:
        env["HOLOMUSH_PLUGIN"] = cookie
    returncode, stdout, stderr = await _run_to_exit(env)
    assert returncode == 1
    assert stdout == b""
    assert stderr.decode() == COOKIE_MISMATCH_MESSAGE


@pytest.fixture
def socket_dir() -> Iterator[str]:
    # Short on purpose: unix socket paths are limited to ~104 bytes.
    with tempfile.TemporaryDirectory(prefix="gp-") as directory:
        yield directory


async def _start_raw(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *fixture_argv("echo_plugin"),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_handshake_line_is_the_first_stdout_bytes(socket_dir: str) -> None:
    env = _env_without_protocol_vars(
        **COOKIE,
        PLUGIN_PROTOCOL_VERSIONS="3,1,2",
        PLUGIN_UNIX_SOCKET_DIR=socket_dir,
        PLUGIN_MULTIPLEX_GRPC="true",
        PLUGIN_UNIX_SOCKET_GROUP=str(os.getgid()),
        FIXTURE_VERSIONS="1,2",
    )
    process = await _start_raw(env)
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        first = await asyncio.wait_for(process.stdout.readline(), 30)
        line = first.decode()
        assert line.endswith("|grpc||false\n"), line  # mux request answered "false"
        parsed = parse_handshake_line(line, allowed_versions=[1, 2])
        assert parsed.app_version == 2  # the highest common version
        assert parsed.network == "unix"
        assert os.path.dirname(parsed.address) == socket_dir
        assert os.path.basename(parsed.address).removeprefix("plugin").isdigit()
        assert line == f"1|2|unix|{parsed.address}|grpc||false\n"
        socket_stat = os.stat(parsed.address)
        assert stat.S_ISSOCK(socket_stat.st_mode)
        assert stat.S_IMODE(socket_stat.st_mode) == 0o660  # PLUGIN_UNIX_SOCKET_GROUP
        assert socket_stat.st_gid == os.getgid()
        # Its logs are hclog JSON on stderr; "plugin address" names the socket.
        async with asyncio.timeout(30):
            while True:
                entry = parse_hclog_json((await process.stderr.readline()).decode())
                assert entry is not None
                if entry.message == "plugin address":
                    break
        assert entry.pairs["address"] == parsed.address
        assert entry.pairs["network"] == "unix"
    finally:
        process.kill()
        await process.wait()


def _exited(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_plugin_exits_when_its_host_dies(socket_dir: str) -> None:
    """An intermediate 'host' starts the plugin, reports its pid and dies."""
    host_script = (
        "import os, subprocess, sys\n"
        "p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, "
        "stderr=subprocess.DEVNULL)\n"
        "p.stdout.readline()\n"
        "print(p.pid, flush=True)\n"
        "os._exit(0)\n"
    )
    env = _env_without_protocol_vars(**COOKIE, PLUGIN_UNIX_SOCKET_DIR=socket_dir)
    host = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        host_script,
        *fixture_argv("echo_plugin"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(host.communicate(), 30)
    plugin_pid = int(stdout)
    async with asyncio.timeout(15):
        while not _exited(plugin_pid):  # noqa: ASYNC110 (process state is only polled)
            await asyncio.sleep(0.05)
    assert os.listdir(socket_dir) == []  # it stopped cleanly: the socket is gone
