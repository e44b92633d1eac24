"""Typed clients for the host's PluginHostService, bundled as `PluginHost`.

`ServiceConfig.host` gives every plugin these in `init`; all of them share one broker
connection to the host:

- ``host.events``: `EventSink` (also injected through `EventSinkAware`)
- ``host.focus``: `FocusClient` (also injected through `FocusClientAware`)
- ``host.kv``: the plugin's namespaced key-value store
- ``host.log``: write to the host's log under the plugin's name
- ``host.session_streams``: subscribe a live session to extra streams
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from holomush.plugin.v1 import plugin_pb2
from holomush_sdk._host_channel import (
    DEFAULT_HOST_CALL_TIMEOUT,
    HostChannel,
    RpcError,
    split_status_code,
)
from holomush_sdk.broker_services import RequiredServices
from holomush_sdk.errors import HostCallError
from holomush_sdk.event_sink import HostEventSink
from holomush_sdk.focus import HostFocusClient

__all__ = ["HostKV", "HostLog", "HostSessionStreams", "LogLevel", "PluginHost", "StreamReplayMode"]

T = TypeVar("T")

_MAX_LOG_MESSAGE = 8192


async def _call(
    channel: HostChannel,
    method: str,
    request: Any,
    describe: str,
    convert: Callable[[Any], T] = lambda response: response,
) -> T:
    stub = await channel.stub()
    try:
        response = await getattr(stub, method)(
            request, timeout=channel.timeout, metadata=channel.actor_metadata()
        )
    except RpcError as err:
        details = err.details() or ""
        code, _ = split_status_code(details)
        raise HostCallError(f"{describe}: {details}", code=code, status=err.code()) from None
    return convert(response)


class HostKV:
    """The plugin's key-value namespace on the host. Keys are scoped to this plugin."""

    def __init__(self, channel: HostChannel, plugin_name: str) -> None:
        self._channel = channel
        self._plugin_name = plugin_name

    async def get(self, key: str) -> str | None:
        """The stored value, or None when the key is absent."""
        request = plugin_pb2.PluginHostServiceKVGetRequest(plugin_name=self._plugin_name, key=key)

        def value(response: Any) -> str | None:
            return str(response.value) if response.found else None

        return await _call(self._channel, "KVGet", request, f"kv get {key!r}", value)

    async def set(self, key: str, value: str) -> None:
        request = plugin_pb2.PluginHostServiceKVSetRequest(
            plugin_name=self._plugin_name, key=key, value=value
        )
        await _call(self._channel, "KVSet", request, f"kv set {key!r}")

    async def delete(self, key: str) -> None:
        """Remove `key`; removing an absent key is not an error."""
        request = plugin_pb2.PluginHostServiceKVDeleteRequest(
            plugin_name=self._plugin_name, key=key
        )
        await _call(self._channel, "KVDelete", request, f"kv delete {key!r}")


class LogLevel(enum.StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class HostLog:
    """Write to the host's log, attributed to this plugin.

    Messages longer than the protocol's 8192 characters are truncated rather than refused:
    a log call should never be the thing that fails.
    """

    def __init__(self, channel: HostChannel) -> None:
        self._channel = channel

    async def log(self, level: LogLevel | str, message: str) -> None:
        if len(message) > _MAX_LOG_MESSAGE:
            message = message[: _MAX_LOG_MESSAGE - 1] + "…"
        request = plugin_pb2.PluginHostServiceLogRequest(level=str(level), message=message)
        await _call(self._channel, "Log", request, "log")

    def debug(self, message: str) -> Awaitable[None]:
        return self.log(LogLevel.DEBUG, message)

    def info(self, message: str) -> Awaitable[None]:
        return self.log(LogLevel.INFO, message)

    def warn(self, message: str) -> Awaitable[None]:
        return self.log(LogLevel.WARN, message)

    def error(self, message: str) -> Awaitable[None]:
        return self.log(LogLevel.ERROR, message)


class StreamReplayMode(enum.IntEnum):
    """What a newly added session stream replays first (proto `StreamReplayMode`)."""

    FROM_CURSOR = 1
    """Replay after the session's stored cursor (from the start when there is none)."""
    LIVE_ONLY = 2
    """Skip history: deliver only events appended from now on."""


class HostSessionStreams:
    """Subscribe a live session to extra streams, or unsubscribe it."""

    def __init__(self, channel: HostChannel) -> None:
        self._channel = channel

    async def add(
        self,
        session_id: str,
        stream: str,
        replay_mode: StreamReplayMode = StreamReplayMode.FROM_CURSOR,
    ) -> None:
        """Raises `HostCallError` with code SESSION_NOT_FOUND when the session is not live."""
        request = plugin_pb2.PluginHostServiceAddSessionStreamRequest(
            session_id=session_id,
            stream=stream,
            replay_mode=plugin_pb2.StreamReplayMode.ValueType(int(replay_mode)),
        )
        await _call(self._channel, "AddSessionStream", request, f"add session stream {stream!r}")

    async def remove(self, session_id: str, stream: str) -> None:
        """Idempotent: removing a stream the session does not have is not an error."""
        request = plugin_pb2.PluginHostServiceRemoveSessionStreamRequest(
            session_id=session_id, stream=stream
        )
        await _call(
            self._channel, "RemoveSessionStream", request, f"remove session stream {stream!r}"
        )


class PluginHost:
    """Every host call a plugin can make, over one shared PluginHostService connection."""

    def __init__(
        self,
        services: RequiredServices,
        *,
        plugin_name: str,
        timeout: float | None = DEFAULT_HOST_CALL_TIMEOUT,
    ) -> None:
        self._channel = HostChannel(services, timeout=timeout)
        self.events = HostEventSink(self._channel)
        self.focus = HostFocusClient(self._channel)
        self.kv = HostKV(self._channel, plugin_name)
        self.log = HostLog(self._channel)
        self.session_streams = HostSessionStreams(self._channel)

    async def connect(self) -> None:
        """Resolve the broker connection now; raises if the host did not provide it."""
        await self._channel.connect()
