"""Splitting one typed line into a command word and its arguments (reference §4.10 step 2)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

from holomush_host.commands.errors import CommandError, CommandErrorCode

#: ``CommandRequest.args`` and ``CommandRequest.raw_input`` are limited to 8192 characters.
MAX_ARGS_LENGTH: Final = 8192
MAX_RAW_INPUT_LENGTH: Final = 8192
_SEPARATORS: Final = " \t"


@dataclass(frozen=True)
class ParsedCommand:
    #: The first token exactly as typed.
    word: str
    #: The rest, leading spaces and tabs removed, inner whitespace kept.
    args: str


def _bad_character(text: str) -> str | None:
    for char in text:
        category = unicodedata.category(char)
        # Control characters (tab aside) and lone surrogates cannot travel in a proto string.
        if (category == "Cc" and char != "\t") or category == "Cs":
            return f"U+{ord(char):04X}"
    return None


def parse_command_line(line: str) -> ParsedCommand:
    """Trim ``line`` and split it at the first space or tab.

    Raises :class:`CommandError` with EMPTY_INPUT, INVALID_INPUT or INPUT_TOO_LONG.
    """
    text = line.strip()
    if not text:
        raise CommandError(CommandErrorCode.EMPTY_INPUT, "no command provided")
    bad = _bad_character(text)
    if bad is not None:
        raise CommandError(
            CommandErrorCode.INVALID_INPUT, f"input contains the control character {bad}"
        )
    cut = min((i for i in (text.find(sep) for sep in _SEPARATORS) if i >= 0), default=len(text))
    word, args = text[:cut], text[cut:].lstrip(_SEPARATORS)
    if len(word) > MAX_RAW_INPUT_LENGTH:
        raise CommandError(
            CommandErrorCode.INPUT_TOO_LONG,
            f"command word is longer than {MAX_RAW_INPUT_LENGTH} characters",
        )
    if len(args) > MAX_ARGS_LENGTH:
        raise CommandError(
            CommandErrorCode.INPUT_TOO_LONG,
            f"arguments are longer than {MAX_ARGS_LENGTH} characters",
        )
    return ParsedCommand(word, args)
