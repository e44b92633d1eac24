"""Plugin directories for the manager's tests, and small waiting helpers.

A test plugin directory holds a ``plugin.yaml`` and the executable it names: a shell
script that execs ``python -m <module>`` with this interpreter and ``sys.path``, so the
host resolves, checks and starts it exactly like a packaged plugin (the same ``exec``
keeps the process id, so ``kill -9`` hits the plugin itself).
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from holomush_host.plugins.manager import PluginManager
from holomush_sdk.commands import CommandRequest, CommandResponse

FIXTURE_MODULE = "holomush_host.plugins.tests.fixtures.fixture_plugin"
ECHO_BOT_MODULE = "echo_bot.main"


def write_launcher(path: Path, module: str, args: Sequence[str] = ()) -> Path:
    # Absolute: the host starts plugins in their own directory, and a Pants sandbox puts
    # relative entries on sys.path.
    python_path = os.pathsep.join(os.path.abspath(p) for p in sys.path if p)
    command = " ".join(shlex.quote(part) for part in (sys.executable, "-m", module, *args))
    path.write_text(
        f'#!/bin/sh\nexport PYTHONPATH={shlex.quote(python_path)}\nexec {command} "$@"\n'
    )
    path.chmod(0o755)
    return path


def add_plugin(
    plugins_dir: Path,
    manifest: Mapping[str, Any],
    *,
    directory: str | None = None,
    module: str = FIXTURE_MODULE,
    args: Sequence[str] | None = None,
) -> Path:
    """A plugin directory running ``module`` (the fixture plugin, named after the manifest)."""
    plugin_dir = plugins_dir / (directory or str(manifest["name"]))
    plugin_dir.mkdir(parents=True)
    (plugin_dir / "plugin.yaml").write_text(yaml.safe_dump(dict(manifest), sort_keys=False))
    executable = manifest.get("binary-plugin", {}).get("executable")
    if executable:
        launcher_args = ["--name", str(manifest["name"])] if args is None else list(args)
        write_launcher(plugin_dir / executable, module, launcher_args)
    return plugin_dir


def fixture_manifest(name: str, **fields: Any) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "name": name,
        "version": "1.0.0",
        "type": "binary",
        "binary-plugin": {"executable": name},
    }
    manifest.update(fields)
    return manifest


def echo_bot_manifest() -> dict[str, Any]:
    """The real echo-bot manifest (plugins/echo_bot/plugin.yaml).

    Its ``description`` key is dropped: the manifest parser does not know that field yet
    (reported to the lead; remove this once they agree).
    """
    import echo_bot

    path = Path(echo_bot.__file__).resolve().parents[1] / "plugin.yaml"
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    loaded.pop("description", None)
    return loaded


def command(
    verb: str,
    *,
    name: str = "fx",
    character_id: str,
    location_id: str,
    session_id: str = "01J0Z3V6Q2Y8K7M4N5P6R7S8SS",
    player_id: str = "01J0Z3V6Q2Y8K7M4N5P6R7S8PP",
) -> CommandRequest:
    return CommandRequest(
        command=name,
        args=verb,
        character_id=character_id,
        character_name="Alice",
        location_id=location_id,
        session_id=session_id,
        player_id=player_id,
        invoked_as=name,
    )


async def host_call(
    manager: PluginManager,
    plugin: str,
    request: CommandRequest,
    method: str,
    body: Mapping[str, Any],
) -> dict[str, Any]:
    """Have ``plugin`` make a raw PluginHostService call; its outcome as a dict."""
    reply = await manager.handle_command(
        plugin, replace(request, args=f"host {method} {json.dumps(dict(body))}")
    )
    outcome: dict[str, Any] = json.loads(reply.output)
    return outcome


def output(reply: CommandResponse) -> Any:
    return json.loads(reply.output)


async def wait_for(
    condition: Callable[[], Awaitable[bool] | bool],
    *,
    within: float = 20.0,
    what: str = "condition",
    interval: float = 0.02,
) -> None:
    """Poll ``condition`` until it holds; fail the test after ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            while True:
                result = condition()
                if isinstance(result, Awaitable):
                    result = await result
                if result:
                    return
                await asyncio.sleep(interval)
    except TimeoutError:
        pytest.fail(f"timed out after {within} s waiting for {what}")
