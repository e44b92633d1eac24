"""Input checks shared by every write path: each raises `InvalidInputError` before any I/O."""

from __future__ import annotations

import json
import re
from typing import NoReturn

from holomush_host.data.errors import DataErrorCode, InvalidInputError
from holomush_host.data.ids import is_ulid

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "MAX_STREAM_LENGTH",
    "check_payload",
    "check_stream",
    "check_text",
    "check_ulid",
    "stream_namespace",
]

MAX_PAYLOAD_BYTES = 65536
MAX_STREAM_LENGTH = 256
_WHITESPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_LAYOUT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # keeps \t \n \r


def check_stream(stream: object, field: str = "stream") -> str:
    """A stream name: ``<namespace>:<rest>``, 1..256 characters, no whitespace (§4.8)."""
    if not isinstance(stream, str) or not stream:
        _invalid(f"{field} must be a non-empty string")
    if len(stream) > MAX_STREAM_LENGTH:
        _invalid(f"{field} is longer than {MAX_STREAM_LENGTH} characters")
    if _WHITESPACE_OR_CONTROL.search(stream):
        _invalid(f"{field} {stream!r} must not contain whitespace or control characters")
    namespace, colon, rest = stream.partition(":")
    if not colon or not namespace or not rest:
        _invalid(f"{field} {stream!r} must look like '<namespace>:<name>'")
    _check_encodable(stream, field)
    return stream


def stream_namespace(stream: str) -> str:
    """The part of a stream name before the first ``:`` (what a plugin's ``emits`` lists)."""
    return stream.partition(":")[0]


def check_text(
    value: object,
    field: str,
    *,
    max_length: int,
    allow_empty: bool = False,
    single_line: bool = True,
) -> str:
    """A string of at most ``max_length`` characters without NUL or other control characters.

    ``single_line=False`` also allows newlines and tabs (descriptions).
    """
    if not isinstance(value, str):
        _invalid(f"{field} must be a string")
    if not value and not allow_empty:
        _invalid(f"{field} must not be empty")
    if value != value.strip() and single_line:
        _invalid(f"{field} must not start or end with whitespace")
    if len(value) > max_length:
        _invalid(f"{field} is longer than {max_length} characters")
    pattern = _ANY_CONTROL if single_line else _CONTROL_EXCEPT_LAYOUT
    if pattern.search(value):
        _invalid(f"{field} contains control characters")
    _check_encodable(value, field)
    return value


def check_ulid(value: object, field: str) -> str:
    """A canonical ULID string; the message names the field, as WorldService expects."""
    if not is_ulid(value):
        _invalid(f"invalid {field}: {value!r} is not a ULID")
    assert isinstance(value, str)
    return value


def check_payload(payload: object) -> str:
    """Event payload: JSON text of at most 64 KiB of UTF-8 (bytes are decoded as UTF-8).

    Python's parser is stricter than PostgreSQL's ``json`` type where they differ (it
    refuses ``NaN``/``Infinity``, which PostgreSQL refuses too), so a payload that passes
    here is never refused by the database.
    """
    if isinstance(payload, bytes | bytearray | memoryview):
        raw = bytes(payload)
        if len(raw) > MAX_PAYLOAD_BYTES:
            _too_large(len(raw))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                f"event payload must be valid JSON: not UTF-8 ({exc.reason} at byte {exc.start})",
                DataErrorCode.EVENT_PAYLOAD_INVALID_JSON,
            ) from None
    elif isinstance(payload, str):
        text = payload
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:
            raise InvalidInputError(
                "event payload must be valid JSON: it contains unpaired surrogates",
                DataErrorCode.EVENT_PAYLOAD_INVALID_JSON,
            ) from None
        if size > MAX_PAYLOAD_BYTES:
            _too_large(size)
    else:
        _invalid("event payload must be JSON text (str or bytes)")
    try:
        json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise InvalidInputError(
            f"event payload must be valid JSON: {exc}", DataErrorCode.EVENT_PAYLOAD_INVALID_JSON
        ) from None
    return text


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _too_large(size: int) -> NoReturn:
    raise InvalidInputError(
        f"event payload is {size} bytes; the limit is {MAX_PAYLOAD_BYTES}",
        DataErrorCode.EVENT_PAYLOAD_TOO_LARGE,
    )


def _check_encodable(value: str, field: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        _invalid(f"{field} contains unpaired surrogates")


def _invalid(message: str) -> NoReturn:
    raise InvalidInputError(message)
