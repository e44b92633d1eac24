"""Row 6: start-up.

* a plugin: spawn → go-plugin handshake → mTLS connection → Ping answered
  (``holomush_sdk.goplugin.client.start_plugin``, what the host's supervisor runs first);
  cold is the first start of that plugin in this run, warm the median of the repeats.
  From source (``python -m``), and, given ``--bundle`` archives, as deployed: the bundle
  unpacked, its executable (the launcher, which starts the PEX's venv) run;
* the host: ``holomush serve`` (the CLI) with echo-bot and core-scenes and its embedded
  PostgreSQL, from process start until the telnet port accepts a connection; first with
  an empty data directory (initdb), then again on the same one (a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from holomush_sdk.goplugin.client import PluginCommand, start_plugin
from holomush_sdk.goplugin.tls import TransportSecurity
from suite.plugin_dirs import add_core_scenes, add_echo_bot
from suite.processes import child_env, free_port, module_argv
from suite.stats import format_ms
from suite.table import Row, verdict

__all__ = ["StartupSettings", "host_boot_rows", "plugin_startup_rows"]

WARM_TARGET = 0.300
BOOT_TARGET = 5.0
_SOURCE_PLUGINS = (
    ("bench-noop", "suite.noop_plugin"),
    ("echo-bot", "echo_bot.main"),
    ("core-scenes", "core_scenes.main"),
)
_BOOT_TIMEOUT = 120.0
_STOP_TIMEOUT = 60.0


@dataclass(frozen=True)
class StartupSettings:
    warm_starts: int = 8


@dataclass(frozen=True)
class _Plugin:
    label: str
    name: str
    command: PluginCommand


def _plugins(bundles: Sequence[Path], unpack_dir: Path) -> list[_Plugin]:
    """The plugins to start: each from source, then each bundle as deployed."""
    plugins = [
        _Plugin(name, name, PluginCommand(argv=module_argv(module), env=child_env()))
        for name, module in _SOURCE_PLUGINS
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEX_")}
    for bundle in bundles:
        with tarfile.open(bundle, "r:gz") as archive:
            (name,) = {Path(member).parts[0] for member in archive.getnames()}
            archive.extractall(unpack_dir, filter="data")
        executable = unpack_dir / name / name
        plugins.append(_Plugin(f"{name} (bundle)", name, PluginCommand([str(executable)], env)))
    return plugins


async def _start_once(tls: TransportSecurity, name: str, command: PluginCommand) -> float:
    started = time.perf_counter()
    client = await start_plugin(name, command, tls=tls)
    elapsed = time.perf_counter() - started
    await client.kill()
    return elapsed


# Row letters: the host boot rows are 6d and 6e.
_LETTERS = "abcfghij"


async def plugin_startup_rows(
    settings: StartupSettings, *, deadline: float, bundles: Sequence[Path] = ()
) -> list[Row]:
    tls = TransportSecurity.mtls()
    with tempfile.TemporaryDirectory(prefix="holomush-bench-bundles-") as unpack_dir:
        plugins = _plugins(bundles, Path(unpack_dir))
        samples: dict[str, list[float]] = {plugin.label: [] for plugin in plugins}
        for plugin in plugins:  # every plugin's cold start before any warm one
            samples[plugin.label].append(await _start_once(tls, plugin.name, plugin.command))
        for index in range(settings.warm_starts):
            if index and time.monotonic() > deadline:
                break
            for plugin in plugins:  # interleaved: machine noise hits all alike
                samples[plugin.label].append(await _start_once(tls, plugin.name, plugin.command))
    rows = []
    for letter, plugin in zip(_LETTERS, plugins, strict=False):
        name = plugin.label
        cold, warm = samples[name][0], statistics.median(samples[name][1:])
        rows.append(
            Row(
                f"6{letter}",
                f"plugin start-up, {name}: spawn → handshake → mTLS → Ping answered",
                f"cold {format_ms(cold)}; warm {format_ms(warm)} "
                f"(median of {len(samples[name]) - 1})",
                f"warm ≤ {format_ms(WARM_TARGET)}",
                verdict(warm <= WARM_TARGET),
            )
        )
    return rows


async def _wait_accepting(
    port: int,
    process: asyncio.subprocess.Process,
    timeout: float,  # noqa: ASYNC109
) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"the host exited with {process.returncode} while booting")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.01)  # polling a port: there is nothing to wait on
                continue
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            return


def _tail(log_path: Path, lines: int = 15) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


async def _boot(plugins_dir: Path, data_dir: Path, log_path: Path) -> float:
    """Start ``holomush serve``; seconds until telnet accepts; then stop it."""
    telnet_port, grpc_port = free_port(), free_port()
    argv = module_argv(
        "holomush_host.cli",
        "--log-level",
        "warning",
        "serve",
        "--plugins-dir",
        str(plugins_dir),
        "--data-dir",
        str(data_dir),
        "--telnet-port",
        str(telnet_port),
        "--grpc-port",
        str(grpc_port),
    )
    env = child_env()
    env.pop("HOLOMUSH_DATABASE_URL", None)  # the embedded PostgreSQL is what we measure
    with log_path.open("ab") as log:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    try:
        await _wait_accepting(telnet_port, process, _BOOT_TIMEOUT)
        return time.perf_counter() - started
    except (RuntimeError, TimeoutError) as exc:
        raise RuntimeError(f"host boot failed: {exc}; its log ends:\n{_tail(log_path)}") from None
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), _STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()


async def host_boot_rows(scratch: Path) -> list[Row]:
    plugins_dir = scratch / "boot-plugins"
    plugins_dir.mkdir()
    add_echo_bot(plugins_dir)
    add_core_scenes(plugins_dir)
    # Under /tmp-like scratch: as root the embedded server runs as its own user, which
    # must be able to reach the data directory.
    data_dir = Path(tempfile.mkdtemp(prefix="holomush-bench-boot-", dir=scratch))
    os.chmod(data_dir, 0o755)
    log_path = scratch / "host-boot.log"
    first = await _boot(plugins_dir, data_dir, log_path)
    again = await _boot(plugins_dir, data_dir, log_path)
    what = "host boot, `holomush serve` with echo-bot + core-scenes + embedded PostgreSQL"
    return [
        Row(
            "6d",
            f"{what}, empty data directory (initdb): process start → telnet accepting",
            format_ms(first),
            f"≤ {BOOT_TARGET:g} s",
            verdict(first <= BOOT_TARGET),
        ),
        Row(
            "6e",
            f"{what}, restart on the same data directory: process start → telnet accepting",
            format_ms(again),
            f"≤ {BOOT_TARGET:g} s",
            verdict(again <= BOOT_TARGET),
        ),
    ]
