"""Where `runtime_package_dependencies` put the packaged PEXes in a test sandbox."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ECHO_BOT_PEX = Path("echo-bot/echo-bot.pex")
CORE_SCENES_PEX = Path("core-scenes/core-scenes.pex")
HOST_PEX = Path("libs.host/holomush.pex")


def pex_argv(pex: Path) -> list[str]:
    """Run a PEX with this interpreter, as the host would run an executable."""
    if not pex.is_file():
        raise FileNotFoundError(f"{pex} is missing: is it in runtime_package_dependencies?")
    return [sys.executable, str(pex.resolve())]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the PEX variables of the test runner."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PEX_") and k != "__PEX_EXTRA_SYS_PATH__"
    }
    env.update(extra)
    return env
