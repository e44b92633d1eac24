"""Pure logic: ULID generation, input checks (no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ulid import ULID

from holomush_host.data.connection import check_schema_name, host_conninfo
from holomush_host.data.errors import InvalidInputError
from holomush_host.data.event_notifications import format_notification, parse_notification
from holomush_host.data.ids import UlidFactory, is_ulid, new_ulid
from holomush_host.data.validation import check_payload, check_stream, stream_namespace


def test_ulids_strictly_increase_even_past_a_floor() -> None:
    factory = UlidFactory()
    made = [factory.next() for _ in range(2000)]
    assert made == sorted(made)
    assert len(set(made)) == 2000
    future = str(ULID.from_timestamp(4_000_000_000.0))
    above = factory.many(3, floor=future)
    assert future < above[0] < above[1] < above[2]
    assert factory.next() > above[2]
    assert all(is_ulid(value) for value in [*made, *above])


def test_is_ulid() -> None:
    assert is_ulid(new_ulid())
    assert not is_ulid(new_ulid().lower())
    assert not is_ulid("8" + new_ulid()[1:])  # above the 128-bit range
    assert not is_ulid(None)
    assert not is_ulid("01J0Z3V6Q2Y8K7M4N5P6R7S8AL")  # L is not Crockford


@given(st.text(max_size=40))
def test_stream_check_agrees_with_its_rules(text: str) -> None:
    ok = (
        0 < len(text) <= 256
        and ":" in text
        and all(part for part in text.split(":", 1))
        and not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text)
        and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
    )
    if ok:
        assert check_stream(text) == text
        assert stream_namespace(text) == text.split(":", 1)[0]
    else:
        with pytest.raises(InvalidInputError):
            check_stream(text)


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.text()
        | st.floats(allow_nan=False, allow_infinity=False),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
        max_leaves=10,
    )
)
def test_any_json_document_is_a_valid_payload(value: object) -> None:
    import json

    text = json.dumps(value)
    if len(text.encode()) <= 65536:
        assert check_payload(text) == text


def test_schema_names() -> None:
    assert check_schema_name("holomush") == "holomush"
    for bad in ("", "Holomush", "pg_x", "a-b", "x" * 64, "1abc", 'a"b'):
        with pytest.raises(InvalidInputError):
            check_schema_name(bad)


def test_conninfo_keeps_other_options() -> None:
    info = host_conninfo("postgresql://u@h/db?options=-c%20statement_timeout%3D5s", "holomush")
    assert "statement_timeout=5s" in info
    assert "search_path=holomush" in info
    with pytest.raises(InvalidInputError, match="invalid database URL"):
        host_conninfo("postgresql://u@h/db?nonsense_param=1", "holomush")


def test_notification_payloads() -> None:
    event_id = new_ulid()
    assert parse_notification(format_notification("abc", event_id)) == ("abc", event_id)
    assert parse_notification("garbage") is None
    assert parse_notification("abc not-an-id") is None
