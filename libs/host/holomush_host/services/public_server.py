"""The host's public gRPC port: WorldService, and every service a loaded plugin provides.

External clients (web front ends, tools, tests) call ``holomush.scene.v1.SceneService``
and friends here as if the host implemented them; `GrpcForwarder` relays each call to
the plugin that provides the service (reference §4.6 ``GRPCServiceProxy``, streaming
included). Unknown services answer UNIMPLEMENTED ``unknown service X``; a host-internal
service (PluginHostService) UNAVAILABLE ``service X is server-internal``; a restarting
plugin's service UNAVAILABLE with a "try again" message.

Callers cannot claim an actor: ``x-holomush-actor-*`` headers are dropped on the way in.
"""

from __future__ import annotations

import logging

import grpc
import grpc.aio

from holomush_host.services.grpc_proxy import GrpcForwarder
from holomush_host.services.service_registry import PluginChannels, ServiceRegistry
from holomush_host.services.world import WorldServicer, add_world_service

__all__ = ["DEFAULT_PUBLIC_ADDRESS", "PublicGrpcServer"]

DEFAULT_PUBLIC_ADDRESS = "127.0.0.1:0"

_log = logging.getLogger(__name__)


class PublicGrpcServer:
    """``await server.start()`` returns the bound port; ``await server.stop()`` ends it."""

    def __init__(
        self,
        *,
        world: WorldServicer,
        registry: ServiceRegistry,
        channels: PluginChannels,
        address: str = DEFAULT_PUBLIC_ADDRESS,
        credentials: grpc.ServerCredentials | None = None,
    ) -> None:
        self._world = world
        self._registry = registry
        self._channels = channels
        self._address = address
        self._credentials = credentials
        self._server: grpc.aio.Server | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the public gRPC server is not started")
        return self._port

    @property
    def target(self) -> str:
        """``host:port`` to dial (the bound port replaces a requested port 0)."""
        host = self._address.rpartition(":")[0] or "127.0.0.1"
        return f"{host}:{self.port}"

    async def start(self) -> int:
        if self._server is not None:
            return self.port
        server = grpc.aio.server()
        add_world_service(self._world, server)
        server.add_generic_rpc_handlers(
            [GrpcForwarder(lambda service: self._registry.route(service, self._channels))]
        )
        if self._credentials is None:
            port = server.add_insecure_port(self._address)
        else:
            port = server.add_secure_port(self._address, self._credentials)
        if port == 0:
            raise OSError(f"cannot listen on {self._address} for the public gRPC port")
        await server.start()
        self._server, self._port = server, port
        _log.info("public gRPC port listening on %s", self.target)
        return port

    async def stop(self, grace: float | None = 1.0) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop(grace)
