"""Tokenizer of the policy DSL (reference §4.11 lexer table)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

from holomush_host.policy.errors import PolicySyntaxError, Position


class TokenKind(enum.Enum):
    STRING = "string"
    NUMBER = "number"
    IDENT = "identifier"
    OPERATOR = "operator"
    PUNCT = "punctuation"
    EOF = "end of policy"


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    #: For strings, the text between the quotes.
    text: str
    position: Position

    def describe(self) -> str:
        if self.kind is TokenKind.EOF:
            return "the end of the policy"
        if self.kind is TokenKind.STRING:
            return f'string "{self.text}"'
        return f"'{self.text}'"


_NUMBER: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_IDENT: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]*")
_TWO_CHAR_OPERATORS: Final = ("&&", "||", "==", "!=", ">=", "<=")
_ONE_CHAR_OPERATORS: Final = frozenset("><!.")
_PUNCTUATION: Final = frozenset("(){}[],;")
_WHITESPACE: Final = frozenset(" \t\r\n\f\v")
_MISTAKES: Final = {
    "&": "unexpected '&' (use '&&')",
    "|": "unexpected '|' (use '||')",
    "=": "unexpected '=' (use '==' to compare)",
    "'": 'unexpected "\'" (strings use double quotes)',
}


class _Cursor:
    """Tracks line and column while scanning."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1
        self.line_start = 0

    def position(self, offset: int | None = None) -> Position:
        at = self.offset if offset is None else offset
        return Position(at, self.line, at - self.line_start + 1)

    def advance_to(self, end: int) -> None:
        for index in range(self.offset, end):
            if self.text[index] == "\n":
                self.line += 1
                self.line_start = index + 1
        self.offset = end


def tokenize(text: str) -> list[Token]:
    """Split policy text into tokens, ending with an EOF token."""
    cursor = _Cursor(text)
    tokens: list[Token] = []
    length = len(text)
    while cursor.offset < length:
        start = cursor.offset
        char = text[start]
        if char in _WHITESPACE:
            cursor.advance_to(start + 1)
            continue
        position = cursor.position()
        if char == '"':
            end = text.find('"', start + 1)
            if end < 0:
                raise PolicySyntaxError("unterminated string (missing closing '\"')", position)
            tokens.append(Token(TokenKind.STRING, text[start + 1 : end], position))
            cursor.advance_to(end + 1)
            continue
        number = (
            _NUMBER.match(text, start)
            if (char.isascii() and (char.isdigit() or char == "-"))
            else None
        )
        if number is not None:
            tokens.append(Token(TokenKind.NUMBER, number.group(), position))
            cursor.advance_to(number.end())
            continue
        ident = _IDENT.match(text, start)
        if ident is not None:
            tokens.append(Token(TokenKind.IDENT, ident.group(), position))
            cursor.advance_to(ident.end())
            continue
        pair = text[start : start + 2]
        if pair in _TWO_CHAR_OPERATORS:
            tokens.append(Token(TokenKind.OPERATOR, pair, position))
            cursor.advance_to(start + 2)
            continue
        if char in _ONE_CHAR_OPERATORS:
            tokens.append(Token(TokenKind.OPERATOR, char, position))
            cursor.advance_to(start + 1)
            continue
        if char in _PUNCTUATION:
            tokens.append(Token(TokenKind.PUNCT, char, position))
            cursor.advance_to(start + 1)
            continue
        raise PolicySyntaxError(_MISTAKES.get(char, f"unexpected character {char!r}"), position)
    tokens.append(Token(TokenKind.EOF, "", cursor.position()))
    return tokens
