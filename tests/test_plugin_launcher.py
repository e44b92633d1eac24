"""The bundle launcher (build-support/plugin-launcher/launch.sh), as the echo-bot bundle ships it:
the first start runs the PEX and remembers its venv, later starts exec that venv directly,
and a stale or broken memory falls back to the PEX. The plugin's handshake stays the first
line of its stdout every time."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psutil
import pytest

from e2e_bundles import ECHO_BOT_BUNDLE, unpack_bundles
from holomush_sdk.goplugin.client import PluginCommand, start_plugin
from holomush_sdk.goplugin.tls import TransportSecurity
from packaged import clean_env

START_TIMEOUT = 60.0


@pytest.fixture
def launcher(tmp_path: Path) -> Path:
    return unpack_bundles(tmp_path / "plugins", [ECHO_BOT_BUNDLE]) / "echo-bot" / "echo-bot"


def remembered(launcher: Path) -> tuple[str, Path]:
    """The launcher's memory: the PEX's identity line and the venv's entry script."""
    key, venv_pex = launcher.with_name("echo-bot.venv").read_text().splitlines()
    return key, Path(venv_pex)


async def start_and_ping(launcher: Path) -> list[str]:
    """Start the plugin through the launcher over mTLS, Ping it, and return the command line
    of the process that answered."""
    command = PluginCommand(argv=[str(launcher)], env=clean_env())
    plugin = await start_plugin(
        "echo-bot", command, tls=TransportSecurity.mtls(), start_timeout=START_TIMEOUT
    )
    try:
        await plugin.ping()
        return list(psutil.Process(plugin.pid).cmdline())
    finally:
        await plugin.kill()


async def test_first_start_remembers_the_venv_and_later_starts_exec_it(launcher: Path) -> None:
    first = await start_and_ping(launcher)
    key, venv_pex = remembered(launcher)
    assert str(launcher.with_name("echo-bot.pex")) in key
    assert venv_pex.name == "pex"
    assert venv_pex.is_file()
    # The launcher exec()s, so the plugin process is the venv's Python running its entry script.
    assert str(venv_pex) in first

    memory = launcher.with_name("echo-bot.venv")
    written = memory.stat().st_mtime_ns
    second = await start_and_ping(launcher)
    assert str(venv_pex) in second
    assert memory.stat().st_mtime_ns == written  # the shortcut was taken, nothing re-probed


async def test_a_stale_memory_falls_back_to_the_pex_and_is_rewritten(launcher: Path) -> None:
    memory = launcher.with_name("echo-bot.venv")
    memory.write_text("an old PEX\n/nonexistent/venv/pex\n")
    await start_and_ping(launcher)
    key, venv_pex = remembered(launcher)
    assert "echo-bot.pex" in key
    assert venv_pex.is_file()

    # A memory of the right PEX whose venv was deleted (say, by a PEX cache prune).
    memory.write_text(f"{key}\n/nonexistent/venv/pex\n")
    await start_and_ping(launcher)
    assert remembered(launcher) == (key, venv_pex)


def test_a_missing_pex_is_a_clear_error_and_nothing_on_stdout(launcher: Path) -> None:
    launcher.with_name("echo-bot.pex").unlink()
    result = subprocess.run(
        [str(launcher)], env=clean_env(), capture_output=True, timeout=30, check=False
    )
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr.decode() == (
        f"holomush plugin launcher: {launcher}.pex is missing; unpack the whole bundle\n"
    )


@pytest.mark.parametrize("remembered_before", [False, True])
def test_the_plugin_still_refuses_to_run_without_the_cookie(
    launcher: Path, remembered_before: bool
) -> None:
    if remembered_before:
        subprocess.run(
            [str(launcher)], env=clean_env(), capture_output=True, timeout=60, check=False
        )
        assert launcher.with_name("echo-bot.venv").is_file()
    result = subprocess.run(
        [str(launcher)], env=clean_env(), capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert result.stdout == b""
    assert b"This binary is a plugin. These are not meant to be executed directly." in result.stderr
