"""The benchmark's no-op plugin: an SDK plugin whose one command does nothing.

``noop`` answers OK with no output and no events, so a HandleCommand round trip through
the host measures the host, the transport and the SDK, not plugin work. Run as
``python -m suite.noop_plugin`` (the host starts it through a launcher script).
"""

from __future__ import annotations

from collections.abc import Sequence

from holomush_sdk import CommandRequest, CommandResponse, EmitEvent, Event, ServeConfig, ok, serve

PLUGIN_NAME = "bench-noop"
COMMAND = "noop"

MANIFEST = f"""\
name: {PLUGIN_NAME}
version: 1.0.0
type: binary
binary-plugin: {{executable: {PLUGIN_NAME}}}
commands:
  - name: {COMMAND}
    usage: {COMMAND}
    help: Does nothing (benchmark)
"""


class NoOp:
    async def handle_event(self, event: Event) -> Sequence[EmitEvent]:
        return ()

    async def handle_command(self, request: CommandRequest) -> CommandResponse:
        return ok()


def main() -> None:
    serve(ServeConfig(handler=NoOp(), plugin_name=PLUGIN_NAME))


if __name__ == "__main__":
    main()
