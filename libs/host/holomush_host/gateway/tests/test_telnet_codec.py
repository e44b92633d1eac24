"""The telnet byte layer: lines, IAC handling, option refusal, limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from holomush_host.gateway.telnet_codec import (
    AYT,
    DO,
    DONT,
    EC,
    EL,
    IAC,
    NOP,
    SB,
    SE,
    WILL,
    WONT,
    InputItem,
    Line,
    OverlongLine,
    TelnetDecoder,
    encode_line,
    encode_text,
)

NAWS = 31
ECHO = 1


def lines(data: bytes, **kwargs: int) -> list[InputItem]:
    return TelnetDecoder(**kwargs).feed(data).items


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"look\r\n", ["look"]),
        (b"look\n", ["look"]),
        (b"look\r\x00", ["look"]),
        (b"look\r", ["look"]),
        (b"a\r\nb\nc\r", ["a", "b", "c"]),
        (b"\r\n", [""]),
        (b"say hi", []),
        (b"say h\xc3\xa9\r\n", ["say hé"]),
        (b"say \xff\xff\r\n", ["say \ufffd"]),
        (b"bad \xc3(\r\n", ["bad \ufffd("]),
    ],
)
def test_splits_lines_at_every_line_ending(data: bytes, expected: list[str]) -> None:
    assert lines(data) == [Line(text) for text in expected]


def test_a_line_may_arrive_in_pieces_even_inside_crlf_and_iac() -> None:
    decoder = TelnetDecoder()
    items = []
    for byte in b"say \xc3\xa9\xff\xfb\x1f!\r\nlook\r\n":
        items.extend(decoder.feed(bytes([byte])).items)
    assert items == [Line("say é!"), Line("look")]


def test_refuses_every_option_and_never_answers_a_refusal() -> None:
    decoded = TelnetDecoder().feed(
        bytes([IAC, DO, ECHO, IAC, WILL, NAWS, IAC, DONT, ECHO, IAC, WONT, NAWS]) + b"hi\n"
    )
    assert decoded.replies == bytes([IAC, WONT, ECHO, IAC, DONT, NAWS])
    assert decoded.items == [Line("hi")]


def test_skips_subnegotiation_including_escaped_iac() -> None:
    data = bytes([IAC, SB, NAWS, 0, 80, IAC, IAC, 24, IAC, SE]) + b"who\r\n"
    assert lines(data) == [Line("who")]


def test_erase_character_and_line() -> None:
    data = b"sax" + bytes([IAC, EC]) + b"y h\xc3\xa9\x08i\x7f!" + b"\r\n"
    assert lines(data) == [Line("say h!")]
    assert lines(b"junk" + bytes([IAC, EL]) + b"look\n") == [Line("look")]


def test_answers_are_you_there_and_ignores_nop() -> None:
    decoded = TelnetDecoder().feed(bytes([IAC, AYT, IAC, NOP]) + b"x\n")
    assert b"yes" in decoded.replies
    assert decoded.items == [Line("x")]


def test_an_overlong_line_is_reported_once_and_the_next_line_is_fine() -> None:
    decoder = TelnetDecoder(max_line_bytes=10)
    first = decoder.feed(b"x" * 25)
    assert first.items == []
    second = decoder.feed(b"yy\r\nlook\r\n")
    assert second.items == [OverlongLine(27), Line("look")]


def test_a_line_of_exactly_the_limit_is_kept() -> None:
    assert lines(b"x" * 10 + b"\n", max_line_bytes=10) == [Line("x" * 10)]


def test_encodes_newlines_as_crlf() -> None:
    assert encode_text("a\nb\r\nc\rd") == b"a\r\nb\r\nc\r\nd"
    assert encode_line("Hi é") == "Hi é\r\n".encode()


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"))), max_size=5))
def test_round_trip_of_plain_lines(texts: list[str]) -> None:
    data = b"".join(encode_line(text) for text in texts)
    assert lines(data) == [Line(text) for text in texts]


@given(st.binary(max_size=200), st.integers(min_value=1, max_value=64))
def test_arbitrary_bytes_never_break_the_decoder(data: bytes, limit: int) -> None:
    decoder = TelnetDecoder(max_line_bytes=limit)
    whole = decoder.feed(data)
    for item in whole.items:
        if isinstance(item, Line):
            assert len(item.text.encode("utf-8", "surrogatepass")) <= limit * 3
    chunked = TelnetDecoder(max_line_bytes=limit)
    items = []
    for index in range(0, len(data), 7):
        items.extend(chunked.feed(data[index : index + 7]).items)
    assert items == whole.items
