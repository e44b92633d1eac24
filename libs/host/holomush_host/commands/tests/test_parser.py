"""The line parser: trimming, splitting, and the limits of CommandRequest."""

from __future__ import annotations

import pytest

from holomush_host.commands import (
    COMMAND_TOO_LONG_MESSAGE,
    EMPTY_INPUT_MESSAGE,
    INVALID_INPUT_MESSAGE,
    MAX_ARGS_LENGTH,
    CommandError,
    CommandErrorCode,
    ParsedCommand,
    parse_command_line,
)


@pytest.mark.parametrize(
    ("line", "word", "args"),
    [
        ("look", "look", ""),
        ("  look  ", "look", ""),
        ("scene join 01ABC", "scene", "join 01ABC"),
        ("scene\tjoin  X", "scene", "join  X"),
        ("say   hello   there  ", "say", "hello   there"),
        ("scene \t \t create A  B", "scene", "create A  B"),
        ("Scene JOIN x", "Scene", "JOIN x"),
        ("+w bob=hi", "+w", "bob=hi"),
        ('say "quoted"', "say", '"quoted"'),
        ("say héllo wörld ✓", "say", "héllo wörld ✓"),
        ("\r\nlook\r\n", "look", ""),
    ],
)
def test_splits_at_the_first_space_or_tab(line: str, word: str, args: str):
    assert parse_command_line(line) == ParsedCommand(word, args)


@pytest.mark.parametrize(
    ("line", "code", "player_message"),
    [
        ("", CommandErrorCode.EMPTY_INPUT, EMPTY_INPUT_MESSAGE),
        ("  \t \r\n", CommandErrorCode.EMPTY_INPUT, EMPTY_INPUT_MESSAGE),
        ("say a\x00b", CommandErrorCode.INVALID_INPUT, INVALID_INPUT_MESSAGE),
        ("say \x1b[31mred", CommandErrorCode.INVALID_INPUT, INVALID_INPUT_MESSAGE),
        ("say a\nb", CommandErrorCode.INVALID_INPUT, INVALID_INPUT_MESSAGE),
        ("say \ud800", CommandErrorCode.INVALID_INPUT, INVALID_INPUT_MESSAGE),
        (
            "say " + "x" * (MAX_ARGS_LENGTH + 1),
            CommandErrorCode.INPUT_TOO_LONG,
            COMMAND_TOO_LONG_MESSAGE,
        ),
        ("x" * 8193, CommandErrorCode.INPUT_TOO_LONG, COMMAND_TOO_LONG_MESSAGE),
    ],
)
def test_rejections_have_a_code_and_a_player_message(
    line: str, code: CommandErrorCode, player_message: str
):
    with pytest.raises(CommandError) as caught:
        parse_command_line(line)
    assert caught.value.code is code
    assert caught.value.player_message == player_message


def test_empty_input_detail_matches_the_reference():
    with pytest.raises(CommandError) as caught:
        parse_command_line("   ")
    assert caught.value.detail == "no command provided"
    assert str(caught.value) == "EMPTY_INPUT: no command provided"


def test_args_at_the_limit_are_accepted():
    parsed = parse_command_line("say " + "x" * MAX_ARGS_LENGTH)
    assert len(parsed.args) == MAX_ARGS_LENGTH
