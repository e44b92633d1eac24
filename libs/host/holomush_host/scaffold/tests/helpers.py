"""Run a generated plugin for real: its own pytest suite, and the plugin as a process."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from holomush.plugin.v1 import plugin_pb2
from holomush_sdk.goplugin.client import PluginClient, PluginCommand, start_plugin
from holomush_sdk.goplugin.tls import TransportSecurity


def child_env(*paths: Path) -> dict[str, str]:
    """This process's environment (less PEX_*) with ``paths``, then this process's
    sys.path (made absolute: a child may run elsewhere) on PYTHONPATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PEX_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [*map(str, paths), *(os.path.abspath(p) for p in sys.path if p)]
    )
    return env


def run_generated_tests(plugin_dir: Path) -> subprocess.CompletedProcess[str]:
    """pytest on the generated plugin, as its author would run it, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(plugin_dir)],
        cwd=plugin_dir,
        env=child_env(plugin_dir),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextlib.asynccontextmanager
async def running_plugin(plugin_dir: Path, name: str) -> AsyncIterator[PluginClient]:
    """The generated plugin started the way a host starts it, over mTLS."""
    package = name.replace("-", "_")
    command = PluginCommand(
        argv=[sys.executable, "-m", f"{package}.main"],
        env=child_env(plugin_dir),
        inherit_env=False,
    )
    client = await start_plugin(name, command, tls=TransportSecurity.mtls(), start_timeout=60)
    try:
        yield client
    finally:
        await client.kill()


def command_request(name: str, args: str = "") -> plugin_pb2.HandleCommandRequest:
    return plugin_pb2.HandleCommandRequest(
        command=plugin_pb2.CommandRequest(
            command=name,
            args=args,
            raw_input=name,
            character_id="01JD0000000000000000000001",
            character_name="Alice",
            location_id="01JD0000000000000000000002",
            session_id="01JD0000000000000000000003",
            player_id="01JD0000000000000000000004",
        )
    )
