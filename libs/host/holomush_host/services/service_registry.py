"""Which gRPC service is served by whom: the host itself, or a plugin that ``provides`` it.

Names are singletons (reference §4.6): registering a service twice fails with
``SERVICE_ALREADY_REGISTERED``. A plugin's services stay registered while it restarts, so
a caller gets "restarting, try again" rather than "unknown service"; the connection is
looked up per call (`PluginChannels`), so a restarted plugin is reached at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import grpc

from holomush_host.manifest.errors import go_quote

__all__ = [
    "SERVICE_ALREADY_REGISTERED",
    "PluginChannels",
    "ServiceRegistry",
    "ServiceRegistryError",
    "ServiceRouteError",
]

SERVICE_ALREADY_REGISTERED = "SERVICE_ALREADY_REGISTERED"


class ServiceRegistryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ServiceRouteError(Exception):
    """A call cannot be routed; ``status`` and ``message`` are what the caller receives."""

    def __init__(self, status: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PluginChannels(Protocol):
    def channel_of(self, plugin: str) -> grpc.aio.Channel:
        """The plugin's current connection; `ServiceRouteError` (UNAVAILABLE) if it has none."""
        ...


class ServiceRegistry:
    def __init__(self, host_services: Iterable[str] = ()) -> None:
        self._host_services = frozenset(host_services)
        self._providers: dict[str, str] = {}

    @property
    def host_services(self) -> frozenset[str]:
        return self._host_services

    def register(self, service: str, plugin: str) -> None:
        """Record that ``plugin`` provides ``service``."""
        if service in self._host_services:
            raise ServiceRegistryError(
                SERVICE_ALREADY_REGISTERED,
                f"service {go_quote(service)} is served by the host; plugin "
                f"{go_quote(plugin)} cannot provide it",
            )
        owner = self._providers.get(service)
        if owner is not None and owner != plugin:
            raise ServiceRegistryError(
                SERVICE_ALREADY_REGISTERED,
                f"service {go_quote(service)} is already provided by plugin {go_quote(owner)}",
            )
        self._providers[service] = plugin

    def deregister_plugin(self, plugin: str) -> None:
        self._providers = {s: p for s, p in self._providers.items() if p != plugin}

    def provider(self, service: str) -> str | None:
        return self._providers.get(service)

    def provided(self) -> dict[str, str]:
        """Service name → providing plugin."""
        return dict(self._providers)

    def route(self, service: str, channels: PluginChannels) -> grpc.aio.Channel:
        """The connection that serves ``service`` for an external caller."""
        plugin = self._providers.get(service)
        if plugin is not None:
            return channels.channel_of(plugin)
        if service in self._host_services:
            raise ServiceRouteError(
                grpc.StatusCode.UNAVAILABLE, f"service {service} is server-internal"
            )
        raise ServiceRouteError(grpc.StatusCode.UNIMPLEMENTED, f"unknown service {service}")
