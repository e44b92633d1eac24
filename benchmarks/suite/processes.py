"""Child processes of the suite: the environment and command lines they run with.

Every child is ``python -m <module>`` with this interpreter and this process's
``sys.path`` (as absolute paths), so the suite runs the same from the dev venv, from
``./pants run`` (a PEX) and inside a Pants test sandbox.
"""

from __future__ import annotations

import os
import shlex
import socket
import sys
from pathlib import Path

__all__ = ["child_env", "free_port", "module_argv", "python_path", "write_launcher"]


def python_path() -> str:
    """``sys.path`` as absolute paths: plugins run in their own directory."""
    return os.pathsep.join(os.path.abspath(p) for p in sys.path if p)


def child_env(**extra: str) -> dict[str, str]:
    """This environment without the PEX's own variables, with our ``PYTHONPATH``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEX_")}
    env["PYTHONPATH"] = python_path()
    env.update(extra)
    return env


def module_argv(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def write_launcher(path: Path, module: str) -> Path:
    """An executable that ``exec``s ``python -m module``, as a packaged plugin would run.

    ``exec`` keeps the process id, so the host's pid for the plugin is the Python process
    (whose memory the suite reads).
    """
    command = " ".join(shlex.quote(part) for part in module_argv(module))
    path.write_text(
        f'#!/bin/sh\nexport PYTHONPATH={shlex.quote(python_path())}\nexec {command} "$@"\n'
    )
    path.chmod(0o755)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
