"""CommandRequest limits are checked before anything is sent to a plugin."""

from __future__ import annotations

import pytest

from holomush_host.commands import (
    GENERIC_PLAYER_MESSAGE,
    CommandError,
    CommandErrorCode,
    CommandRegistry,
    build_invocation,
)
from holomush_host.commands.registry import CommandEntry, CommandSource, ResolvedCommand

IDS = {
    "character_id": "01HCHAR",
    "character_name": "Alice",
    "location_id": "01HLOC",
    "session_id": "01HSESS",
    "player_id": "01HPLAY",
}


def test_builds_the_request_fields():
    registry = CommandRegistry()
    registry.register_builtin("look", aliases=["l"])
    invocation = build_invocation(registry.resolve("L  north"), **IDS)
    assert invocation.command == "look"
    assert invocation.args == "north"
    assert invocation.raw_input == "l"
    assert invocation.character_name == "Alice"


@pytest.mark.parametrize("field", sorted(IDS))
def test_every_id_is_required(field: str):
    registry = CommandRegistry()
    registry.register_builtin("look")
    with pytest.raises(CommandError) as caught:
        build_invocation(registry.resolve("look"), **{**IDS, field: ""})
    assert caught.value.code is CommandErrorCode.INVALID_COMMAND_REQUEST
    assert caught.value.detail == f"{field} must not be empty"
    assert caught.value.player_message == GENERIC_PLAYER_MESSAGE
    assert not caught.value.user_facing


def test_every_problem_is_named():
    resolved = ResolvedCommand(CommandEntry("look", CommandSource.BUILTIN), "x" * 8193, "look")
    with pytest.raises(CommandError) as caught:
        build_invocation(resolved, **{**IDS, "location_id": "", "character_name": "\ud800"})
    assert caught.value.detail == (
        "args is longer than 8192 characters; character_name is not valid UTF-8; location_id must not be empty"
    )
