"""memo: a tiny test plugin that keeps notes in the host's plugin KV store.

``memo <key> <text>`` stores a note, ``memo <key>`` reads it back. It exists so that the
end-to-end tests can show the host's KV store keeping its data across a host crash: no
shipped plugin uses KV. `install_memo_plugin` lays it out in a plugins directory the way a
bundle unpacks, with a launcher that runs this module with the test's interpreter.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from holomush_sdk import (
    CommandRequest,
    CommandResponse,
    EmitEvent,
    Event,
    HostCallError,
    HostKV,
    ServeConfig,
    ServiceConfig,
    errorf,
    failuref,
    ok,
    serve,
)

NAME: Final = "memo"
USAGE: Final = "usage: memo <key> [<text>]"
MANIFEST: Final = f"""\
name: {NAME}
version: 0.1.0
type: binary
binary-plugin:
  executable: {NAME}
commands:
  - name: memo
    help: "Keep a note"
    usage: "memo <key> [<text>]"
policies:
  - name: execute-memo
    dsl: >-
      permit(principal is character, action in ["execute"], resource is command)
      when {{ resource.command.name in ["memo"] }};
"""


def noted(key: str, text: str) -> str:
    return f"Noted: {key} = {text}"


def recalled(key: str, text: str | None) -> str:
    return f"Memo {key}: {text}" if text is not None else f"No memo called {key}."


class Memo:
    def __init__(self) -> None:
        self.kv: HostKV | None = None

    async def init(self, config: ServiceConfig) -> None:
        self.kv = config.host.kv

    async def handle_event(self, event: Event) -> Sequence[EmitEvent]:
        return []

    async def handle_command(self, req: CommandRequest) -> CommandResponse:
        if self.kv is None:
            return failuref("memo is not initialised")
        words = req.args.split(maxsplit=1)
        if not words:
            return errorf(USAGE)
        key = words[0]
        try:
            if len(words) == 2:
                await self.kv.set(key, words[1])
                return ok(noted(key, words[1]))
            return ok(recalled(key, await self.kv.get(key)))
        except HostCallError as err:
            return failuref("the host refused: %s", err)


def install_memo_plugin(plugins_dir: Path) -> Path:
    """``<plugins_dir>/memo/{plugin.yaml, memo}``; the launcher runs this module."""
    directory = plugins_dir / NAME
    directory.mkdir(parents=True)
    (directory / "plugin.yaml").write_text(MANIFEST)
    python_path = os.pathsep.join(os.path.abspath(p) for p in sys.path if p)
    launcher = directory / NAME
    launcher.write_text(
        "#!/bin/sh\n"
        f"export PYTHONPATH={shlex.quote(python_path)}\n"
        f'exec {shlex.quote(sys.executable)} -m {__name__} "$@"\n'
    )
    launcher.chmod(0o755)
    return directory


def main() -> None:
    serve(ServeConfig(handler=Memo()))


if __name__ == "__main__":
    main()
