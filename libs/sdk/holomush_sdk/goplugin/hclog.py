"""Plugin-side logging: Python log records as hclog JSON lines on the real stderr.

A go-plugin host parses each stderr line as hclog JSON (wire protocol §6.2). Hard rules
kept here: ``@level``, ``@message`` and ``@timestamp`` are always JSON strings (a Go host
panics otherwise), the timestamp has exactly six fractional digits and a ``Z``/``±hh:mm``
zone, and a line stays under the host's 64 KiB read buffer.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from datetime import datetime
from types import TracebackType
from typing import Any, Final

TRACE: Final = 5  # hclog's level below DEBUG
MAX_LINE_BYTES: Final = 64 * 1024 - 1  # the host's bufio buffer, newline excluded
_FIELD_LIMIT: Final = 8 * 1024  # per-string cap used when a line would be too long

# Attributes every LogRecord has; anything else came from `extra=` and becomes a KV pair.
_RECORD_ATTRIBUTES: Final = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)

if logging.getLevelName(TRACE) == f"Level {TRACE}":
    logging.addLevelName(TRACE, "TRACE")


def hclog_level(levelno: int) -> str:
    """Map a Python level number to hclog's level name."""
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warn"
    if levelno >= logging.INFO:
        return "info"
    if levelno >= logging.DEBUG:
        return "debug"
    return "trace"


def hclog_timestamp(created: float) -> str:
    """Go layout ``2006-01-02T15:04:05.000000Z07:00`` in local time, as hclog writes it."""
    stamp = datetime.fromtimestamp(created).astimezone().isoformat(timespec="microseconds")
    return stamp[:-6] + "Z" if stamp.endswith("+00:00") else stamp


class HclogJSONFormatter(logging.Formatter):
    """Formats a record as one hclog JSON line (no trailing newline).

    Keys are sorted, as Go's encoding of a map sorts them. Values passed with
    ``extra=`` become KV pairs; an exception adds ``error`` and ``stacktrace``.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "@level": hclog_level(record.levelno),
            "@message": record.getMessage(),
            "@timestamp": hclog_timestamp(record.created),
        }
        if record.name and record.name != "root":
            entry["@module"] = record.name
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info and record.exc_info[0] is not None:
            import traceback  # only when there is an exception to format

            exc_type, exc_value, exc_tb = record.exc_info
            entry.setdefault(
                "error", "".join(traceback.format_exception_only(exc_type, exc_value)).strip()
            )
            entry.setdefault(
                "stacktrace", "".join(traceback.format_exception(exc_type, exc_value, exc_tb))
            )
        if record.stack_info:
            entry.setdefault("stack", record.stack_info)
        return _encode_bounded(entry)


def _encode(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


def _encode_bounded(entry: dict[str, Any]) -> str:
    line = _encode(entry)
    if len(line.encode("utf-8", "replace")) <= MAX_LINE_BYTES:
        return line
    # Too long for the host's buffer: cap every long string, then drop KV pairs if needed.
    for key, value in entry.items():
        if isinstance(value, str) and len(value) > _FIELD_LIMIT:
            entry[key] = value[:_FIELD_LIMIT] + "…(truncated)"
    line = _encode(entry)
    while len(line.encode("utf-8", "replace")) > MAX_LINE_BYTES:
        extra_keys = [k for k in entry if not k.startswith("@")]
        if not extra_keys:
            entry["@message"] = entry["@message"][: _FIELD_LIMIT // 2] + "…(truncated)"
            return _encode(entry)
        del entry[extra_keys[-1]]
        entry["truncated"] = True
        line = _encode(entry)
    return line


class FDLineHandler(logging.Handler):
    """Writes each formatted record as one line straight to a file descriptor.

    Bound to the fd, not to ``sys.stderr``: the plugin swaps ``sys.stderr`` for the
    GRPCStdio capture after the handshake, while logs must stay on the real fd 2.
    """

    def __init__(self, fd: int = 2, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self._fd = fd
        self._write_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode("utf-8", "replace")
            with self._write_lock:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view) :]
        except Exception:
            self.handleError(record)


def install_plugin_logging(level: int = logging.DEBUG) -> FDLineHandler:
    """Route the root logger to hclog JSON on fd 2 and report uncaught exceptions there.

    Returns the handler so that the caller can remove it again.
    """
    handler = FDLineHandler(2)
    handler.setFormatter(HclogJSONFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    # grpc's Python layer logs every call at DEBUG; that would flood the host's log.
    grpc_logger = logging.getLogger("grpc")
    if grpc_logger.level == logging.NOTSET:
        grpc_logger.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    return handler


def uninstall_plugin_logging(handler: logging.Handler) -> None:
    logging.getLogger().removeHandler(handler)
    logging.captureWarnings(False)
    sys.excepthook = sys.__excepthook__
    threading.excepthook = threading.__excepthook__


def _log_uncaught(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    logging.getLogger("plugin").error("uncaught exception", exc_info=(exc_type, exc, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or args.exc_type is SystemExit:
        return
    logging.getLogger("plugin").error(
        "uncaught exception in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
