"""Go standard-library parsing rules that the handshake depends on, with Go's error texts.

A Go host judges a handshake line with ``strings.TrimSpace``, ``strconv.Atoi``,
``strconv.ParseBool`` and ``base64.RawStdEncoding``; matching them exactly keeps a Python
host's verdicts (and messages) identical to a Go host's.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

# unicode.IsSpace: Latin-1 spaces plus the White_Space runes above Latin-1. (Python's
# str.isspace() also counts U+001C..U+001F, which Go does not.)
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

_QUOTE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


class GoSyntaxError(ValueError):
    """A Go strconv/base64 error; str() is Go's message."""


def trim_space(text: str) -> str:
    """``strings.TrimSpace``."""
    return text.strip(_GO_SPACE)


def quote(text: str) -> str:
    """``strconv.Quote`` (what ``%q`` prints) for a valid Unicode string."""
    out = ['"']
    for char in text:
        if char in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def atoi(text: str) -> int:
    """``strconv.Atoi`` on a 64-bit platform: optional sign, ASCII digits, int64 range."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or not all("0" <= c <= "9" for c in digits):
        raise GoSyntaxError(f"strconv.Atoi: parsing {quote(text)}: invalid syntax")
    value = int(text)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise GoSyntaxError(f"strconv.Atoi: parsing {quote(text)}: value out of range")
    return value


def parse_bool(text: str) -> bool:
    """``strconv.ParseBool``."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise GoSyntaxError(f"strconv.ParseBool: parsing {quote(text)}: invalid syntax")


def raw_std_b64decode(text: str) -> bytes:
    """``base64.RawStdEncoding.DecodeString``: no padding allowed; CR and LF are skipped."""
    kept: list[str] = []
    for index, char in enumerate(text):
        if char in "\r\n":
            continue
        if char not in _B64_ALPHABET:
            raise GoSyntaxError(f"illegal base64 data at input byte {index}")
        kept.append(char)
    if len(kept) % 4 == 1:
        raise GoSyntaxError(f"illegal base64 data at input byte {len(text) - 1}")
    data = "".join(kept)
    try:
        return base64.b64decode(data + "=" * (-len(data) % 4))
    except binascii.Error as exc:  # unreachable after the checks above; kept for safety
        raise GoSyntaxError(f"illegal base64 data: {exc}") from exc


def raw_std_b64encode(data: bytes) -> str:
    """``base64.RawStdEncoding.EncodeToString``."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def format_int_slice(values: Iterable[int]) -> str:
    """What Go's ``%d`` prints for a ``[]int``: ``[1 2 3]``."""
    return "[" + " ".join(str(v) for v in values) + "]"
