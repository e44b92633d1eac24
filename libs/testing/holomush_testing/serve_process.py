"""``holomush serve`` from the packaged host PEX as a child process, the way the end-to-end
tests and the load benchmark start it: on free ports (the host prints them in its start-up
table), every setting as a flag, stdout piped for that table, stderr (the log) to a file."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

__all__ = ["serve_argv", "serve_env", "spawn_serve"]


def serve_env() -> dict[str, str]:
    """This environment without the PEX variables of the runner (the host is a PEX of its
    own) and without ``HOLOMUSH_*`` settings (every setting is given as a flag)."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PEX_", "HOLOMUSH_")) and k != "__PEX_EXTRA_SYS_PATH__"
    }


def serve_argv(
    host_pex: Path, *, plugins_dir: Path, data_dir: Path, database_url: str
) -> list[str]:
    """The command line: the PEX run by this interpreter (as its shebang would run it)."""
    if not host_pex.is_file():
        raise FileNotFoundError(f"{host_pex} is missing: is it packaged?")
    argv = [sys.executable, str(host_pex.resolve()), "serve"]
    argv += ["--plugins-dir", str(plugins_dir), "--data-dir", str(data_dir)]
    argv += ["--database-url", database_url, "--telnet-port", "0", "--grpc-port", "0"]
    return argv


async def spawn_serve(
    host_pex: Path, *, plugins_dir: Path, data_dir: Path, database_url: str, log_path: Path
) -> asyncio.subprocess.Process:
    """Start the host; returns at once (read its start-up table from stdout)."""
    argv = serve_argv(
        host_pex, plugins_dir=plugins_dir, data_dir=data_dir, database_url=database_url
    )
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            *argv,
            env=serve_env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
