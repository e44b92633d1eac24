"""Host side, process level: how a plugin executable is started and its first line read.

Environment and stdin follow go-plugin's ``Client.Start`` (wire protocol §1.1): the host's
environment without inherited protocol variables, then the command's, then go-plugin's
own variables, which win. The first stdout line is read the way its ``bufio.Scanner``
does, with go-plugin's messages when there is none (§1.6, §1.7).
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import os
import pwd
import shutil
import stat
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from holomush_sdk.goplugin.envvars import (
    PLUGIN_MAX_PORT,
    PLUGIN_MIN_PORT,
    PLUGIN_PROTOCOL_VERSIONS,
    is_protocol_variable,
)
from holomush_sdk.goplugin.errors import HandshakeError
from holomush_sdk.goplugin.handshake import HandshakeConfig

__all__ = [
    "STDOUT_LINE_LIMIT",
    "PluginCommand",
    "discard_stream",
    "plugin_environment",
    "read_handshake_line",
]

STDOUT_LINE_LIMIT: Final = 64 * 1024  # bufio.Scanner's maximum token size


@dataclass(frozen=True)
class PluginCommand:
    """How to run a plugin executable.

    ``env`` is added on top of the host's environment (or replaces it when
    ``inherit_env`` is False, go-plugin's SkipHostEnv). go-plugin passes the host's stdin
    through; a HoloMUSH host has no use for that, so stdin is /dev/null unless
    ``inherit_stdin``.
    """

    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    inherit_env: bool = True
    inherit_stdin: bool = False


def plugin_environment(
    command: PluginCommand,
    *,
    handshake: HandshakeConfig,
    versions: Collection[int],
    extra: Mapping[str, str] = {},
) -> dict[str, str]:
    """The child's environment: host env minus protocol variables, the command's env,
    then go-plugin's variables and ``extra`` (the transport's), which win."""
    env: dict[str, str] = {}
    if command.inherit_env:
        env = {
            key: value
            for key, value in os.environ.items()
            if not is_protocol_variable(key) and key != handshake.magic_cookie_key
        }
    env.update(command.env)
    env[handshake.magic_cookie_key] = handshake.magic_cookie_value
    env[PLUGIN_MIN_PORT] = "10000"
    env[PLUGIN_MAX_PORT] = "25000"
    env[PLUGIN_PROTOCOL_VERSIONS] = ",".join(str(v) for v in sorted(versions))
    env.update(extra)
    return env


async def read_handshake_line(
    process: asyncio.subprocess.Process, executable: str, deadline: float
) -> str:
    """The first stdout line, or HandshakeError in go-plugin's words."""
    assert process.stdout is not None
    loop = asyncio.get_running_loop()
    try:
        raw = await asyncio.wait_for(process.stdout.readline(), max(deadline - loop.time(), 0))
    except TimeoutError:
        raise HandshakeError("timeout while waiting for plugin to start") from None
    except ValueError:  # longer than bufio.Scanner's token limit: Go reads no line at all
        raw = b""
    if raw.endswith(b"\n"):
        return raw.decode("utf-8", "replace")
    # stdout ended without a line: usually because the process exited.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), 1.0)
    if process.returncode is not None:
        raise HandshakeError("plugin exited before we could connect", exit_code=process.returncode)
    raise HandshakeError(
        f"Unrecognized remote plugin message: {raw.decode('utf-8', 'replace').strip()}\n"
        "Failed to read any lines from plugin's stdout\n" + diagnose(executable)
    )


async def discard_stream(reader: asyncio.StreamReader) -> None:
    """Drain stdout after the handshake so the plugin never blocks on a full pipe."""
    while await reader.read(65536):
        pass


def diagnose(executable: str) -> str:
    """go-plugin cmdrunner's Diagnose notes."""
    notes = (
        "This usually means\n"
        "  the plugin was not compiled for this architecture,\n"
        "  the plugin is missing dynamic-link libraries necessary to run,\n"
        "  the plugin is not executable by this process due to file permissions, or\n"
        "  the plugin failed to negotiate the initial go-plugin protocol handshake\n"
    )
    path = shutil.which(executable) or executable
    try:
        info = os.stat(path)
    except OSError:
        return notes
    return notes + (
        "\nAdditional notes about plugin:\n"
        f"  Path: {path}\n"
        f"  Mode: {stat.filemode(info.st_mode)}\n"
        f"  Owner: {info.st_uid} [{_user_name(info.st_uid)}] (current: {os.getuid()} [{_user_name(os.getuid())}])\n"
        f"  Group: {info.st_gid} [{_group_name(info.st_gid)}] (current: {os.getgid()} [{_group_name(os.getgid())}])\n"
    )


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return "?"


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return "?"
