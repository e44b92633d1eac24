"""hclog JSON: what the plugin writes (§6.2 hard rules) and how the host reads stderr."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any

import pytest

from holomush_sdk.goplugin.hclog import MAX_LINE_BYTES, TRACE, HclogJSONFormatter, hclog_timestamp
from holomush_sdk.goplugin.log_relay import (
    LINE_BUFFER_BYTES,
    PluginLogRelay,
    parse_go_timestamp,
    parse_hclog_json,
    relay_stream,
)

# -- plugin side: the formatter ---------------------------------------------------------


def _format(level: int, msg: str, *args: object, **extra: object) -> dict[str, Any]:
    record = logging.LogRecord("plugin.module", level, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    entry: dict[str, Any] = json.loads(HclogJSONFormatter().format(record))
    return entry


@pytest.mark.parametrize(
    ("level", "name"),
    [
        (TRACE, "trace"),
        (logging.DEBUG, "debug"),
        (logging.INFO, "info"),
        (logging.WARNING, "warn"),
        (logging.ERROR, "error"),
        (logging.CRITICAL, "error"),
    ],
)
def test_levels_are_hclog_names(level: int, name: str) -> None:
    assert _format(level, "x")["@level"] == name


def test_reserved_fields_are_strings_and_parse_on_the_host() -> None:
    entry = _format(logging.INFO, "answer %d", 42, foo="bar", count=12)
    assert entry["@message"] == "answer 42"
    assert entry["@module"] == "plugin.module"
    assert entry["foo"] == "bar"
    assert entry["count"] == 12
    for key in ("@level", "@message", "@timestamp", "@module"):
        assert isinstance(entry[key], str)
    assert parse_go_timestamp(str(entry["@timestamp"])) is not None


def test_keys_are_sorted_like_a_go_map() -> None:
    record = logging.LogRecord("m", logging.INFO, __file__, 1, "x", None, None)
    record.__dict__.update({"zeta": 1, "alpha": 2})
    line = HclogJSONFormatter().format(record)
    keys = list(json.loads(line))
    assert keys == sorted(keys)
    assert "\n" not in line


@pytest.mark.parametrize("created", [0.0, 1.5, 1_700_000_000.123456, 1_700_000_000.999_999_7])
def test_timestamp_has_six_fraction_digits(created: float) -> None:
    stamp = hclog_timestamp(created)
    assert parse_go_timestamp(stamp) is not None, stamp
    fraction = stamp[20:26]
    assert stamp[19] == "."
    assert fraction.isdigit()
    assert len(fraction) == 6


def test_exceptions_become_error_and_stacktrace_pairs() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("m", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    entry = json.loads(HclogJSONFormatter().format(record))
    assert entry["error"] == "ValueError: boom"
    assert "Traceback" in entry["stacktrace"]


def test_a_huge_record_still_fits_the_hosts_line_buffer() -> None:
    line = HclogJSONFormatter().format(
        logging.LogRecord("m", logging.INFO, __file__, 1, "x" * 200_000, None, None)
    )
    assert len(line.encode()) <= MAX_LINE_BYTES
    assert json.loads(line)["@message"].endswith("(truncated)")


def test_non_json_values_are_stringified() -> None:
    assert _format(logging.INFO, "x", obj=object())["obj"].startswith("<object")


# -- host side: timestamps and hclog JSON -------------------------------------------------


@pytest.mark.parametrize(
    ("stamp", "ok"),
    [
        ("2006-01-02T15:04:05.123456Z", True),
        ("2006-01-02T15:04:05.123456+00:00", True),
        ("2006-01-02T15:04:05,123456Z", True),
        ("2006-01-02T15:04:05.123456-07:00", True),
        ("2006-01-02T15:04:05.123Z", False),
        ("2006-01-02T15:04:05.123456789Z", False),
        ("2006-01-02T15:04:05Z", False),
        ("2006-01-02T15:04:05.123456+0000", False),
        ("2006-13-02T15:04:05.123456Z", False),
        ("2006-01-02 15:04:05.123456Z", False),
    ],
)
def test_go_timestamp_layout(stamp: str, ok: bool) -> None:
    assert (parse_go_timestamp(stamp) is not None) is ok


def test_parse_hclog_json_splits_reserved_keys() -> None:
    entry = parse_hclog_json(
        '{"@level":"debug","@timestamp":"2006-01-02T15:04:05.000000Z","@message":"hello","@module":"m","k":1}'
    )
    assert entry is not None
    assert (entry.message, entry.level, entry.pairs) == ("hello", "debug", {"@module": "m", "k": 1})


@pytest.mark.parametrize(
    "line",
    [
        '["HELLO"]',
        "12345",
        "not json",
        '{"@message": null, "@level": "info"}',
        '{"@message": "m", "@level": 3}',
        '{"@message": "m", "@level": "info", "@timestamp": 5}',
        '{"@message": "m", "@level": "info", "@timestamp": "2006-01-02T15:04:05.123Z"}',
    ],
)
def test_lines_that_are_text_for_the_host(line: str) -> None:
    assert parse_hclog_json(line) is None


# -- host side: PluginLogRelay, every §6.2 case --------------------------------------------


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.levelno, record.getMessage()))


@pytest.fixture
def relay() -> tuple[PluginLogRelay, _Records]:
    logger = logging.getLogger("test.hclog.relay")
    logger.propagate = False
    logger.handlers[:] = []
    records = _Records()
    logger.addHandler(records)
    logger.setLevel(TRACE)
    return PluginLogRelay(logger, "demo"), records


TS = "2006-01-02T15:04:05.000000Z"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f'{{"@level":"trace","@message":"t","@timestamp":"{TS}"}}', (TRACE, "t")),
        (f'{{"@level":"debug","@message":"d","@timestamp":"{TS}"}}', (logging.DEBUG, "d")),
        (f'{{"@level":"info","@message":"i","@timestamp":"{TS}"}}', (logging.INFO, "i")),
        (f'{{"@level":"warn","@message":"w","@timestamp":"{TS}"}}', (logging.WARNING, "w")),
        (f'{{"@level":"error","@message":"e","@timestamp":"{TS}"}}', (logging.ERROR, "e")),
        ('{"@level":" INFO ","@message":"i"}', (logging.INFO, "i")),  # trimmed, lowercased
        (
            '{"@level":"info","@message":"kv","foo":"bar","n":12}',
            (logging.INFO, "kv: foo=bar n=12"),
        ),
        (
            '{"@level":"info","@message":"kv","s":"a b","f":1.5,"b":true,"z":null,"o":{"a":1}}',
            (logging.INFO, 'kv: b=true f=1.5 o={"a":1} s="a b" z=<nil>'),
        ),
        # unknown, missing or "off" level: the raw line at DEBUG
        ('{"@level":"fatal","@message":"x"}', (logging.DEBUG, '{"@level":"fatal","@message":"x"}')),
        ('{"@message":"x"}', (logging.DEBUG, '{"@message":"x"}')),
        ('{"a":1}', (logging.DEBUG, '{"a":1}')),
        ('{"@level":"off","@message":"x"}', (logging.DEBUG, '{"@level":"off","@message":"x"}')),
        # not a JSON object: text rules
        ('["HELLO"]', (logging.DEBUG, '["HELLO"]')),
        ("12345", (logging.DEBUG, "12345")),
        ("plain text", (logging.DEBUG, "plain text")),
        ("[TRACE] t", (TRACE, "[TRACE] t")),
        ("[DEBUG] d", (logging.DEBUG, "[DEBUG] d")),
        ("[INFO] i", (logging.INFO, "[INFO] i")),
        ("[WARN] test line 98765", (logging.WARNING, "[WARN] test line 98765")),
        ("[ERROR] e", (logging.ERROR, "[ERROR] e")),
        # a bad timestamp makes the whole line text
        (
            '{"@level":"error","@message":"m","@timestamp":"2006-01-02T15:04:05Z"}',
            (
                logging.DEBUG,
                '{"@level":"error","@message":"m","@timestamp":"2006-01-02T15:04:05Z"}',
            ),
        ),
        ('[WARN] {"@timestamp":"bad"}', (logging.WARNING, '[WARN] {"@timestamp":"bad"}')),
        # non-string reserved fields would panic a Go host; here they are text
        ('{"@level":"info","@message":null}', (logging.DEBUG, '{"@level":"info","@message":null}')),
    ],
)
def test_relay_cases(
    relay: tuple[PluginLogRelay, _Records], line: str, expected: tuple[int, str]
) -> None:
    relay_, records = relay
    relay_.log_line(line.encode())
    assert records.seen == [expected]


def test_entries_below_the_logger_level_are_dropped(relay: tuple[PluginLogRelay, _Records]) -> None:
    relay_, records = relay
    relay_.logger.setLevel(logging.WARNING)
    relay_.log_line(b'{"@level":"info","@message":"quiet"}')
    relay_.log_line(b'{"@level":"warn","@message":"loud"}')
    assert records.seen == [(logging.WARNING, "loud")]


@pytest.mark.parametrize(
    "first",
    [
        "panic: runtime error",
        "fatal error: all goroutines are asleep",
        "Traceback (most recent call last):",
    ],
)
def test_panic_mode_is_sticky_for_text(relay: tuple[PluginLogRelay, _Records], first: str) -> None:
    relay_, records = relay
    relay_.log_line(b"before")
    relay_.log_line(first.encode())
    relay_.log_line(b"goroutine 1 [running]:")
    relay_.log_line(b"[DEBUG] still part of the panic")
    relay_.log_line(b'{"@level":"info","@message":"json is unaffected"}')
    assert records.seen == [
        (logging.DEBUG, "before"),
        (logging.ERROR, first),
        (logging.ERROR, "goroutine 1 [running]:"),
        (logging.ERROR, "[DEBUG] still part of the panic"),
        (logging.INFO, "json is unaffected"),
    ]


def test_records_carry_the_plugin_name_and_pairs(relay: tuple[PluginLogRelay, _Records]) -> None:
    relay_, _ = relay
    captured: list[logging.LogRecord] = []
    handler = _Records()
    handler.emit = captured.append  # type: ignore[method-assign,assignment]
    relay_.logger.addHandler(handler)
    relay_.log_line(f'{{"@level":"info","@message":"m","@timestamp":"{TS}","k":"v"}}'.encode())
    record = captured[0]
    assert record.plugin == "demo"  # type: ignore[attr-defined]
    assert record.plugin_kv == {"k": "v"}  # type: ignore[attr-defined]
    assert record.plugin_timestamp.year == 2006  # type: ignore[attr-defined]


async def _relay_bytes(relay_: PluginLogRelay, data: bytes) -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    await relay_stream(reader, relay_)


async def test_stream_splits_lines_and_handles_crlf(relay: tuple[PluginLogRelay, _Records]) -> None:
    relay_, records = relay
    await _relay_bytes(relay_, b'[INFO] one\r\n{"@level":"warn","@message":"two"}\nthree')
    assert records.seen == [
        (logging.INFO, "[INFO] one"),
        (logging.WARNING, "two"),
        (logging.DEBUG, "three"),
    ]


async def test_oversize_lines_are_logged_in_pieces_at_debug(
    relay: tuple[PluginLogRelay, _Records],
) -> None:
    relay_, records = relay
    huge = '{"@level":"error","@message":"' + "x" * (LINE_BUFFER_BYTES + 10) + '"}'
    await _relay_bytes(relay_, huge.encode() + b"\n[ERROR] after\n")
    assert [level for level, _ in records.seen] == [logging.DEBUG, logging.DEBUG, logging.ERROR]
    assert "".join(text for _, text in records.seen[:2]) == huge
    assert len(records.seen[0][1]) == LINE_BUFFER_BYTES
