"""The one shared connection from a plugin to the host's PluginHostService.

EventSink, FocusClient and the KV / Log / session-stream clients all call through one
`HostChannel`, so a plugin opens a single broker connection to the host however many of
them it uses.
"""

from __future__ import annotations

import re

import grpc

from holomush.plugin.v1 import plugin_pb2_grpc
from holomush_sdk.actor import Actor, current_actor, with_actor_metadata
from holomush_sdk.broker_services import PLUGIN_HOST_SERVICE_NAME, RequiredServices

__all__ = ["DEFAULT_HOST_CALL_TIMEOUT", "HostChannel", "split_status_code"]

DEFAULT_HOST_CALL_TIMEOUT = 10.0

_CODE_PREFIX = re.compile(r"^([A-Z][A-Z0-9_]*):\s*(.*)$", re.DOTALL)


def split_status_code(message: str) -> tuple[str | None, str]:
    """Split a host status message ``"CODE: detail"`` into (code, detail)."""
    match = _CODE_PREFIX.match(message)
    if match is None:
        return None, message
    return match.group(1), match.group(2)


class HostChannel:
    """Lazily resolves the PluginHostService stub from the plugin's required services."""

    def __init__(
        self, services: RequiredServices, *, timeout: float | None = DEFAULT_HOST_CALL_TIMEOUT
    ) -> None:
        self._services = services
        self.timeout = timeout

    async def connect(self) -> None:
        """Resolve the connection now (raises the broker errors if it cannot be had)."""
        await self._services.channel(PLUGIN_HOST_SERVICE_NAME)

    async def stub(self) -> plugin_pb2_grpc.PluginHostServiceAsyncStub:
        channel = await self._services.channel(PLUGIN_HOST_SERVICE_NAME)
        return plugin_pb2_grpc.PluginHostServiceStub(channel)

    @staticmethod
    def actor_metadata(actor: Actor | None = None) -> tuple[tuple[str, str], ...] | None:
        """Metadata carrying `actor`, else the current call's actor, else None."""
        chosen = actor if actor is not None else current_actor()
        return with_actor_metadata(None, chosen) if chosen is not None else None


RpcError = grpc.aio.AioRpcError
