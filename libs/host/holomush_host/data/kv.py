"""Plugin key/value storage (reference §4.13, wired for binary plugins as §9 item 7 asks).

Each plugin has its own namespace: the plugin's name, which the host takes from the
identity of the connection a request arrives on and never from the request (whose
``plugin_name`` field a plugin could fill with another plugin's name). Hence the shape:
``kv.for_plugin(name)`` once per plugin connection, then ``get``/``set``/``delete`` on the
returned `PluginKV`, which cannot reach any other namespace.
"""

from __future__ import annotations

import re

from holomush_host.data.connection import HostPool, pooled
from holomush_host.data.errors import DataErrorCode, InvalidInputError

__all__ = ["MAX_KEY_BYTES", "MAX_VALUE_BYTES", "PluginKV", "PluginKVStore"]

MAX_KEY_BYTES = 256
MAX_VALUE_BYTES = 65536
_PLUGIN_NAME = re.compile(r"[a-z](-?[a-z0-9])*")
_MAX_PLUGIN_NAME = 64


class PluginKVStore:
    def __init__(self, pool: HostPool) -> None:
        self._pool = pool

    def for_plugin(self, plugin_name: str) -> PluginKV:
        """The namespace of ``plugin_name`` (a manifest name, e.g. ``core-scenes``)."""
        if (
            not isinstance(plugin_name, str)
            or len(plugin_name) > _MAX_PLUGIN_NAME
            or not _PLUGIN_NAME.fullmatch(plugin_name)
        ):
            raise InvalidInputError(f"invalid plugin name {plugin_name!r}")
        return PluginKV(self._pool, plugin_name)


class PluginKV:
    """One plugin's keys. Keys are 1..256 bytes of UTF-8 without NUL; values are text of at
    most 64 KiB (UTF-8)."""

    def __init__(self, pool: HostPool, plugin_name: str) -> None:
        self._pool = pool
        self._plugin = plugin_name

    @property
    def plugin_name(self) -> str:
        return self._plugin

    async def get(self, key: str) -> str | None:
        """The value, or None when the key is not set."""
        _check_key(key)
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                "SELECT value FROM plugin_kv WHERE plugin_name = %s AND key = %s",
                (self._plugin, key),
            )
            row = await cursor.fetchone()
        return None if row is None else bytes(row[0]).decode("utf-8")

    async def set(self, key: str, value: str) -> None:
        """Create or replace the value of ``key``."""
        _check_key(key)
        encoded = _encode_value(value)
        async with pooled(self._pool) as conn:
            await conn.execute(
                "INSERT INTO plugin_kv (plugin_name, key, value) VALUES (%s, %s, %s)"
                " ON CONFLICT (plugin_name, key)"
                " DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
                (self._plugin, key, encoded),
            )

    async def delete(self, key: str) -> bool:
        """Remove ``key``; True if it was set (deleting a missing key is not an error)."""
        _check_key(key)
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                "DELETE FROM plugin_kv WHERE plugin_name = %s AND key = %s", (self._plugin, key)
            )
            return cursor.rowcount == 1


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key:
        raise InvalidInputError("key must be a non-empty string", DataErrorCode.KV_KEY_INVALID)
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInputError(
            "key must be valid UTF-8 text", DataErrorCode.KV_KEY_INVALID
        ) from None
    if size > MAX_KEY_BYTES:
        raise InvalidInputError(
            f"key is {size} bytes; the limit is {MAX_KEY_BYTES}", DataErrorCode.KV_KEY_INVALID
        )
    if "\x00" in key:
        raise InvalidInputError("key must not contain NUL characters", DataErrorCode.KV_KEY_INVALID)


def _encode_value(value: object) -> bytes:
    if not isinstance(value, str):
        raise InvalidInputError("value must be a string")
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError("value must be valid UTF-8 text") from None
    if len(encoded) > MAX_VALUE_BYTES:
        raise InvalidInputError(
            f"value is {len(encoded)} bytes; the limit is {MAX_VALUE_BYTES}",
            DataErrorCode.KV_VALUE_TOO_LARGE,
        )
    return encoded
