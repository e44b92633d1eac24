"""The command request sent to a plugin, checked against the RPC's field limits (§1.1).

The plugin side validates ``CommandRequest`` (every id non-empty, args and raw_input at
most 8192 characters); checking the same here turns a host-side omission into a clear
error before anything is sent, instead of an opaque InvalidArgument from the plugin.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from holomush_host.commands.errors import CommandError, CommandErrorCode
from holomush_host.commands.parser import MAX_ARGS_LENGTH, MAX_RAW_INPUT_LENGTH
from holomush_host.commands.registry import ResolvedCommand

_LIMITS = {"args": MAX_ARGS_LENGTH, "raw_input": MAX_RAW_INPUT_LENGTH}
_MAY_BE_EMPTY = frozenset({"args", "raw_input"})


@dataclass(frozen=True)
class CommandInvocation:
    """Field for field the ``holomush.plugin.v1.CommandRequest`` message."""

    command: str
    args: str
    raw_input: str
    character_id: str
    character_name: str
    location_id: str
    session_id: str
    player_id: str

    def problems(self) -> list[str]:
        found = []
        for field in fields(self):
            value: str = getattr(self, field.name)
            if not value and field.name not in _MAY_BE_EMPTY:
                found.append(f"{field.name} must not be empty")
            limit = _LIMITS.get(field.name)
            if limit is not None and len(value) > limit:
                found.append(f"{field.name} is longer than {limit} characters")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                found.append(f"{field.name} is not valid UTF-8")
        return found


def build_invocation(
    resolved: ResolvedCommand,
    *,
    character_id: str,
    character_name: str,
    location_id: str,
    session_id: str,
    player_id: str,
) -> CommandInvocation:
    """The request for a resolved command, or INVALID_COMMAND_REQUEST naming every bad field."""
    invocation = CommandInvocation(
        command=resolved.entry.name,
        args=resolved.args,
        raw_input=resolved.invoked_as,
        character_id=character_id,
        character_name=character_name,
        location_id=location_id,
        session_id=session_id,
        player_id=player_id,
    )
    problems = invocation.problems()
    if problems:
        raise CommandError(CommandErrorCode.INVALID_COMMAND_REQUEST, "; ".join(problems))
    return invocation
