"""The storage SDK's error type and codes (reference §2.11)."""

from __future__ import annotations

from enum import StrEnum

import grpc

from holomush_sdk.errors import PluginError

__all__ = ["StorageError", "StorageErrorCode"]


class StorageErrorCode(StrEnum):
    DB_CONNECT_FAILED = "PLUGIN_DB_CONNECT_FAILED"
    DB_PING_FAILED = "PLUGIN_DB_PING_FAILED"
    CONNSTRING_PARSE_FAILED = "PLUGIN_CONNSTRING_PARSE_FAILED"
    MISSING_SEARCH_PATH = "PLUGIN_MISSING_SEARCH_PATH"
    MIGRATION_READ_FAILED = "PLUGIN_MIGRATION_READ_FAILED"
    MIGRATION_LOCK_FAILED = "PLUGIN_MIGRATION_LOCK_FAILED"
    MIGRATION_TABLE_FAILED = "PLUGIN_MIGRATION_TABLE_FAILED"
    MIGRATION_VERSION_FAILED = "PLUGIN_MIGRATION_VERSION_FAILED"
    MIGRATION_TX_FAILED = "PLUGIN_MIGRATION_TX_FAILED"
    MIGRATION_EXEC_FAILED = "PLUGIN_MIGRATION_EXEC_FAILED"
    MIGRATION_TRACK_FAILED = "PLUGIN_MIGRATION_TRACK_FAILED"
    MIGRATION_COMMIT_FAILED = "PLUGIN_MIGRATION_COMMIT_FAILED"
    MIGRATION_DOWN_MISSING = "PLUGIN_MIGRATION_DOWN_MISSING"


_STATUS = {
    StorageErrorCode.DB_CONNECT_FAILED: grpc.StatusCode.INVALID_ARGUMENT,
    StorageErrorCode.DB_PING_FAILED: grpc.StatusCode.UNAVAILABLE,
    StorageErrorCode.CONNSTRING_PARSE_FAILED: grpc.StatusCode.INVALID_ARGUMENT,
    StorageErrorCode.MISSING_SEARCH_PATH: grpc.StatusCode.INVALID_ARGUMENT,
}


class StorageError(PluginError):
    """A storage operation failed; ``code`` is a `StorageErrorCode`.

    Being a `PluginError`, it crosses the wire as ``"<CODE>: <message>"`` when a plugin's
    Init lets it propagate.
    """

    code: StorageErrorCode

    def __init__(self, code: StorageErrorCode, message: str) -> None:
        super().__init__(
            message, code=code, status=_STATUS.get(code, grpc.StatusCode.FAILED_PRECONDITION)
        )
        self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
