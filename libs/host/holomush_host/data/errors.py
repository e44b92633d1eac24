"""Errors of the host data layer: every one carries a machine-readable code.

Callers (host services, the telnet gateway) switch on the exception type or ``code``; the
message is safe to show to a plugin author or log, and never carries a traceback or SQL.
"""

from __future__ import annotations

import enum

from holomush_sdk.focus import FocusErrorCode

__all__ = [
    "ConflictError",
    "DataError",
    "DataErrorCode",
    "FocusError",
    "FocusErrorCode",
    "InvalidInputError",
    "NotFoundError",
    "SessionExpiredError",
    "StoreUnavailableError",
]


class DataErrorCode(enum.StrEnum):
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    EVENT_PAYLOAD_TOO_LARGE = "EVENT_PAYLOAD_TOO_LARGE"
    EVENT_PAYLOAD_INVALID_JSON = "EVENT_PAYLOAD_INVALID_JSON"
    KV_KEY_INVALID = "KV_KEY_INVALID"
    KV_VALUE_TOO_LARGE = "KV_VALUE_TOO_LARGE"
    LOCATION_NOT_FOUND = "LOCATION_NOT_FOUND"
    CHARACTER_NOT_FOUND = "CHARACTER_NOT_FOUND"
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    SESSION_ALREADY_ACTIVE = "SESSION_ALREADY_ACTIVE"
    CHARACTER_NAME_TAKEN = "CHARACTER_NAME_TAKEN"
    EXIT_NAME_TAKEN = "EXIT_NAME_TAKEN"
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"


class DataError(Exception):
    """Base class. ``str(err)`` is ``"<CODE>: <message>"``, the form plugins parse."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class InvalidInputError(DataError):
    """The input was rejected before anything was written."""

    def __init__(self, message: str, code: str = DataErrorCode.INVALID_ARGUMENT) -> None:
        super().__init__(code, message)


class NotFoundError(DataError):
    """The named location, character or session does not exist (codes end in ``_NOT_FOUND``)."""


class ConflictError(DataError):
    """The write would break a uniqueness rule (a name taken, a session already live)."""


class SessionExpiredError(DataError):
    """The session exists but has expired."""

    def __init__(self, session_id: str) -> None:
        super().__init__(DataErrorCode.SESSION_EXPIRED, f"session {session_id} has expired")


class StoreUnavailableError(DataError):
    """The database could not be reached, or the store is closed."""

    def __init__(self, message: str) -> None:
        super().__init__(DataErrorCode.STORE_UNAVAILABLE, message)


class FocusError(DataError):
    """A focus operation failed with one of the six codes of reference §4.14.

    The host's PluginHostService sends it to the plugin as ``"<CODE>: <message>"``, which
    the SDK's FocusClient maps back to the same `FocusErrorCode`.
    """

    code: FocusErrorCode

    def __init__(self, code: FocusErrorCode, message: str) -> None:
        super().__init__(code, message)
        self.code = code
