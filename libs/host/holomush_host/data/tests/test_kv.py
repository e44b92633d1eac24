"""Plugin KV: per-plugin namespaces, limits, and nothing changed on bad input."""

from __future__ import annotations

import pytest

from holomush_host.data.connection import HostPool
from holomush_host.data.errors import DataErrorCode, InvalidInputError
from holomush_host.data.kv import MAX_KEY_BYTES, MAX_VALUE_BYTES, PluginKVStore


@pytest.fixture
def kv(pool: HostPool) -> PluginKVStore:
    return PluginKVStore(pool)


async def test_get_set_delete(kv: PluginKVStore) -> None:
    scenes = kv.for_plugin("core-scenes")
    assert scenes.plugin_name == "core-scenes"
    assert await scenes.get("greeting") is None
    await scenes.set("greeting", "hello")
    assert await scenes.get("greeting") == "hello"
    await scenes.set("greeting", "")
    assert await scenes.get("greeting") == ""
    assert await scenes.delete("greeting")
    assert not await scenes.delete("greeting")
    assert await scenes.get("greeting") is None


async def test_values_keep_any_text(kv: PluginKVStore) -> None:
    scenes = kv.for_plugin("core-scenes")
    text = "nul \x00 and emoji 🎭 and newline\n"
    await scenes.set("k", text)
    assert await scenes.get("k") == text


async def test_plugins_cannot_see_each_other(kv: PluginKVStore) -> None:
    scenes, echo = kv.for_plugin("core-scenes"), kv.for_plugin("echo-bot")
    await scenes.set("shared-name", "scenes' value")
    assert await echo.get("shared-name") is None
    assert not await echo.delete("shared-name")
    await echo.set("shared-name", "echo's value")
    assert await scenes.get("shared-name") == "scenes' value"
    assert await echo.get("shared-name") == "echo's value"


async def test_limits(kv: PluginKVStore, pool: HostPool) -> None:
    scenes = kv.for_plugin("core-scenes")
    await scenes.set("k" * MAX_KEY_BYTES, "v" * MAX_VALUE_BYTES)
    await scenes.set("é" * (MAX_KEY_BYTES // 2), "é" * (MAX_VALUE_BYTES // 2))

    cases = [
        ("k" * (MAX_KEY_BYTES + 1), "v", DataErrorCode.KV_KEY_INVALID, "257 bytes"),
        ("é" * (MAX_KEY_BYTES // 2 + 1), "v", DataErrorCode.KV_KEY_INVALID, "258 bytes"),
        ("", "v", DataErrorCode.KV_KEY_INVALID, "non-empty"),
        ("a\x00b", "v", DataErrorCode.KV_KEY_INVALID, "NUL"),
        ("\ud800", "v", DataErrorCode.KV_KEY_INVALID, "UTF-8"),
        ("k2", "v" * (MAX_VALUE_BYTES + 1), DataErrorCode.KV_VALUE_TOO_LARGE, "65537 bytes"),
        ("k2", "\udfff", DataErrorCode.INVALID_ARGUMENT, "UTF-8"),
        ("k2", b"bytes", DataErrorCode.INVALID_ARGUMENT, "must be a string"),
    ]
    for key, value, code, message in cases:
        with pytest.raises(InvalidInputError, match=message) as caught:
            await scenes.set(key, value)  # type: ignore[arg-type]
        assert caught.value.code == code
    with pytest.raises(InvalidInputError):
        await scenes.get("")
    with pytest.raises(InvalidInputError):
        await scenes.delete("x" * 300)
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) FROM plugin_kv")
        assert await cursor.fetchone() == (2,)


@pytest.mark.parametrize("name", ["", "Core", "core_scenes", "-x", "x-", "a--b", "x" * 65, 7])
def test_plugin_names_are_checked(kv: PluginKVStore, name: object) -> None:
    with pytest.raises(InvalidInputError, match="invalid plugin name"):
        kv.for_plugin(name)  # type: ignore[arg-type]
