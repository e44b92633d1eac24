"""Host side of the plugin's stderr: hclog JSON lines re-logged through Python logging.

Mirrors go-plugin's client.go ``logStderr`` and ``parseJSON`` (wire protocol §6.2):

* a line that is a JSON object with valid hclog fields is logged at its ``@level`` with
  its other keys as ``key=value`` pairs; an unknown or missing level logs the raw line at
  DEBUG;
* anything else (text, JSON arrays or numbers, a bad ``@timestamp``) is text: its level
  comes from a ``[TRACE]``/``[DEBUG]``/``[INFO]``/``[WARN]``/``[ERROR]`` prefix, else DEBUG;
  a ``panic:`` or ``fatal error:`` line is logged at ERROR and turns on a sticky mode in
  which every later text line is an ERROR;
* pieces of a line longer than the 64 KiB buffer are logged at DEBUG unparsed.

Deliberate differences from Go: a non-string ``@message``/``@level``/``@timestamp`` makes
the line text instead of crashing the host, and a Python ``Traceback (most recent call
last):`` line starts the sticky panic mode just like ``panic:``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from holomush_sdk.goplugin.hclog import TRACE

LINE_BUFFER_BYTES: Final = 64 * 1024  # go-plugin's default PluginLogBufferSize

_LEVELS: Final = {
    "trace": TRACE,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
_TEXT_PREFIXES: Final = (
    ("[TRACE]", TRACE),
    ("[DEBUG]", logging.DEBUG),
    ("[INFO]", logging.INFO),
    ("[WARN]", logging.WARNING),
    ("[ERROR]", logging.ERROR),
)
_PANIC_PREFIXES: Final = ("panic: ", "fatal error: ", "Traceback (most recent call last):")
# time.Parse("2006-01-02T15:04:05.000000Z07:00", …): Go also accepts ',' before the fraction.
_TIMESTAMP_RE: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})[.,](\d{6})(Z|[+-]\d{2}:\d{2})"
)


@dataclass(frozen=True)
class HclogEntry:
    """One hclog JSON line, split the way go-plugin's ``parseJSON`` splits it."""

    message: str
    level: str
    timestamp: datetime | None
    pairs: dict[str, Any] = field(default_factory=dict)


def parse_hclog_json(line: str) -> HclogEntry | None:
    """Return the entry, or None when the line must be treated as text."""
    try:
        raw = json.loads(line)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    message = raw.pop("@message", "")
    level = raw.pop("@level", "")
    if not isinstance(message, str) or not isinstance(level, str):
        return None
    timestamp: datetime | None = None
    if "@timestamp" in raw:
        stamp = raw.pop("@timestamp")
        if not isinstance(stamp, str):
            return None
        timestamp = parse_go_timestamp(stamp)
        if timestamp is None:
            return None
    return HclogEntry(message=message, level=level, timestamp=timestamp, pairs=raw)


def parse_go_timestamp(text: str) -> datetime | None:
    """Parse hclog's timestamp layout; None where Go's time.Parse would fail."""
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        return None
    normalised = (
        text[:19] + "." + text[20:26] + ("+00:00" if match.group(8) == "Z" else match.group(8))
    )
    try:
        return datetime.fromisoformat(normalised)
    except ValueError:
        return None


def level_from_string(level: str) -> int | None:
    """hclog.LevelFromString restricted to the levels a host logs at (None: log raw)."""
    return _LEVELS.get(level.strip().lower())


def format_value(value: Any) -> str:
    """Render a KV value roughly as hclog's text output does."""
    if isinstance(value, str):
        return (
            json.dumps(value, ensure_ascii=False)
            if (not value or any(c.isspace() or c == '"' for c in value))
            else value
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if value is None:
        return "<nil>"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class PluginLogRelay:
    """Feeds a plugin's stderr bytes, line by line, into a Python logger."""

    def __init__(self, logger: logging.Logger, plugin_name: str) -> None:
        self.logger = logger
        self.plugin_name = plugin_name
        self.in_panic = False

    def log_line(self, raw: bytes) -> None:
        """Handle one complete line (without its line terminator)."""
        line = raw.decode("utf-8", "replace")
        entry = parse_hclog_json(line)
        if entry is None:
            self._log_text(line)
            return
        level = level_from_string(entry.level)
        if level is None:
            self._emit(logging.DEBUG, line, {})
            return
        if not self.logger.isEnabledFor(level):
            return
        text = entry.message
        if entry.pairs:
            text += ": " + " ".join(
                f"{k}={format_value(v)}" for k, v in sorted(entry.pairs.items())
            )
        self._emit(level, text, {"plugin_kv": entry.pairs, "plugin_timestamp": entry.timestamp})

    def log_fragment(self, raw: bytes) -> None:
        """A piece of an over-long line: logged at DEBUG, never parsed."""
        self._emit(logging.DEBUG, raw.decode("utf-8", "replace"), {})

    def _log_text(self, line: str) -> None:
        if line.startswith(_PANIC_PREFIXES):
            self.in_panic = True
            self._emit(logging.ERROR, line, {})
            return
        if self.in_panic:
            self._emit(logging.ERROR, line, {})
            return
        for prefix, level in _TEXT_PREFIXES:
            if line.startswith(prefix):
                self._emit(level, line, {})
                return
        self._emit(logging.DEBUG, line, {})

    def _emit(self, level: int, text: str, extra: dict[str, Any]) -> None:
        if self.logger.isEnabledFor(level):
            self.logger.log(level, "%s", text, extra={"plugin": self.plugin_name, **extra})


async def relay_stream(reader: asyncio.StreamReader, relay: PluginLogRelay) -> None:
    """Read a stderr pipe to EOF, splitting lines like Go's ``bufio.Reader.ReadLine``."""
    buffer = b""
    continuation = False  # the previous output was a prefix of a longer line
    while chunk := await reader.read(LINE_BUFFER_BYTES):
        buffer += chunk
        start = 0
        while True:
            newline = buffer.find(b"\n", start, start + LINE_BUFFER_BYTES)
            if newline == -1:
                if len(buffer) - start < LINE_BUFFER_BYTES:
                    break
                relay.log_fragment(buffer[start : start + LINE_BUFFER_BYTES])
                start += LINE_BUFFER_BYTES
                continuation = True
                continue
            line = buffer[start:newline].removesuffix(b"\r")
            start = newline + 1
            if continuation:
                relay.log_fragment(line)
                continuation = False
            else:
                relay.log_line(line)
        buffer = buffer[start:]
    if buffer:
        if continuation:
            relay.log_fragment(buffer)
        else:
            relay.log_line(buffer.removesuffix(b"\r"))
