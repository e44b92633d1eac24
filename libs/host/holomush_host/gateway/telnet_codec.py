"""Telnet (RFC 854) byte handling: IAC commands out of the input, lines in, text out.

The server never asks for an option and refuses every option a client offers or asks
for (``DO x`` → ``WONT x``, ``WILL x`` → ``DONT x``); it answers nothing to ``DONT`` and
``WONT``, which confirm the state it is already in, so negotiation can never loop. That
keeps a client in the NVT default (line mode, local echo), which is what ``telnet``,
``nc`` and MUD clients all handle.

Lines end at CR LF, CR NUL, a bare LF or a bare CR. BS/DEL and ``IAC EC`` erase a
character, ``IAC EL`` the line. A line longer than ``max_line_bytes`` is dropped whole
and reported as `OverlongLine` once its end arrives, so memory stays bounded.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

IAC: Final = 255
DONT: Final = 254
DO: Final = 253
WONT: Final = 252
WILL: Final = 251
SB: Final = 250
GA: Final = 249
EL: Final = 248
EC: Final = 247
AYT: Final = 246
NOP: Final = 241
SE: Final = 240

_CR: Final = 13
_LF: Final = 10
_NUL: Final = 0
_BS: Final = 8
_DEL: Final = 127

DEFAULT_MAX_LINE_BYTES: Final = 8192
#: The answer to "Are You There".
_AYT_REPLY: Final = b"\r\n[HoloMUSH: yes]\r\n"


@dataclass(frozen=True)
class Line:
    """One complete input line, decoded as UTF-8 (bad bytes become U+FFFD)."""

    text: str


@dataclass(frozen=True)
class OverlongLine:
    """A line that went over the limit; its content was discarded."""

    size: int


InputItem = Line | OverlongLine


@dataclass
class Decoded:
    items: list[InputItem] = field(default_factory=list)
    #: Bytes to send back (option refusals, the AYT answer).
    replies: bytes = b""


class _State(enum.Enum):
    DATA = enum.auto()
    AFTER_CR = enum.auto()
    IAC = enum.auto()
    OPTION = enum.auto()
    SUBNEG = enum.auto()
    SUBNEG_IAC = enum.auto()


class TelnetDecoder:
    """Incremental decoder: feed it bytes as they arrive, get lines and replies back."""

    def __init__(self, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        if max_line_bytes < 1:
            raise ValueError("max_line_bytes must be positive")
        self._max = max_line_bytes
        self._state = _State.DATA
        self._command = 0
        self._line = bytearray()
        self._overflow = 0  # bytes dropped from the current line (0: not overlong)

    def feed(self, data: bytes) -> Decoded:
        out = Decoded()
        replies = bytearray()
        for byte in data:
            state = self._state
            if state is _State.AFTER_CR:
                self._state = _State.DATA
                if byte in (_LF, _NUL):
                    continue  # CR LF and CR NUL end one line, not two
                state = _State.DATA
            if state is _State.DATA:
                if byte == IAC:
                    self._state = _State.IAC
                elif byte == _CR:
                    self._end_line(out)
                    self._state = _State.AFTER_CR
                elif byte == _LF:
                    self._end_line(out)
                elif byte in (_BS, _DEL):
                    self._erase_char()
                elif byte != _NUL:
                    self._add(byte)
            elif state is _State.IAC:
                self._after_iac(byte, replies)
            elif state is _State.OPTION:
                self._state = _State.DATA
                if self._command == DO:
                    replies += bytes((IAC, WONT, byte))
                elif self._command == WILL:
                    replies += bytes((IAC, DONT, byte))
            elif state is _State.SUBNEG:
                if byte == IAC:
                    self._state = _State.SUBNEG_IAC
            elif state is _State.SUBNEG_IAC:
                # IAC SE ends it; IAC IAC is a data 255 inside it; anything else is
                # a protocol error, after which we resynchronise on the next IAC SE.
                self._state = _State.DATA if byte == SE else _State.SUBNEG
        out.replies = bytes(replies)
        return out

    def _after_iac(self, byte: int, replies: bytearray) -> None:
        self._state = _State.DATA
        if byte == IAC:
            self._add(IAC)  # an escaped data byte 255
        elif byte in (DO, DONT, WILL, WONT):
            self._command = byte
            self._state = _State.OPTION
        elif byte == SB:
            self._state = _State.SUBNEG
        elif byte == EC:
            self._erase_char()
        elif byte == EL:
            self._line.clear()
        elif byte == AYT:
            replies += _AYT_REPLY
        # NOP, DM, BRK, IP, AO, GA and unknown commands carry nothing for a line reader.

    def _add(self, byte: int) -> None:
        if self._overflow:
            self._overflow += 1
        elif len(self._line) >= self._max:
            self._overflow = len(self._line) + 1
            self._line.clear()
        else:
            self._line.append(byte)

    def _erase_char(self) -> None:
        if self._overflow or not self._line:
            return
        # Remove one whole UTF-8 character: its continuation bytes, then its lead byte.
        while self._line and self._line[-1] & 0xC0 == 0x80:
            self._line.pop()
        if self._line:
            self._line.pop()

    def _end_line(self, out: Decoded) -> None:
        if self._overflow:
            out.items.append(OverlongLine(self._overflow))
            self._overflow = 0
        else:
            out.items.append(Line(self._line.decode("utf-8", errors="replace")))
        self._line.clear()


def encode_text(text: str) -> bytes:
    """Text for the client: every line ending becomes CR LF, IAC bytes are doubled."""
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    # UTF-8 never produces 0xFF, but the escaping rule is cheap and keeps this total.
    return normalized.encode("utf-8").replace(b"\xff", b"\xff\xff")


def encode_line(text: str) -> bytes:
    return encode_text(text) + b"\r\n"
