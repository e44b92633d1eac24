"""Start one plugin process and bring it to "ready" (reference §4.4, with §9 fixed).

The steps, each failing with a `PluginLoadError` whose code says which one:

1. ``storage: postgres``: provision the plugin's schema and role (a new password each
   time, so a restarted plugin gets a fresh DSN);
2. start the executable through the go-plugin transport (handshake, mTLS, Ping);
3. serve on the plugin's broker: ID 1 = PluginHostService bound to this plugin, then one
   ID per ``requires`` service, in manifest order: a host service (WorldService) served by
   the host, or a service another plugin provides, proxied to that plugin;
4. send Init, always, with the DSN and ``required_services`` (``"broker:<id>"``);
5. ``resource_types``: ask GetSchema, which must describe every declared type.

If any step fails after the process started, the process is stopped before the error
propagates.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio

from holomush.plugin.v1 import attribute_pb2, attribute_pb2_grpc, plugin_pb2, plugin_pb2_grpc
from holomush_host.manifest.discovery import DiscoveredPlugin
from holomush_host.manifest.errors import go_quote
from holomush_host.manifest.model import StorageKind
from holomush_host.plugins.config import PluginManagerConfig
from holomush_host.plugins.errors import PluginLoadError
from holomush_host.plugins.launch import plugin_command
from holomush_host.services.call_context import CallContext, CallKind, InFlightCalls
from holomush_host.services.channel_loss import channel_loss
from holomush_host.services.grpc_proxy import (
    ForwardHook,
    GrpcForwarder,
    Metadata,
    strip_actor_metadata,
)
from holomush_host.services.identity import PluginIdentity
from holomush_host.services.plugin_host import PluginHostServicer, add_plugin_host_service
from holomush_host.services.service_registry import PluginChannels, ServiceRegistry
from holomush_host.services.world import WorldServicer, add_world_service
from holomush_host.storage.provisioner import ProvisioningError, SchemaProvisioner
from holomush_sdk.actor import actor_from_metadata, with_actor_metadata
from holomush_sdk.broker_services import PLUGIN_HOST_SERVICE_NAME
from holomush_sdk.goplugin.broker import BrokerRegister, GRPCBroker
from holomush_sdk.goplugin.client import PluginClient, start_plugin
from holomush_sdk.goplugin.errors import GoPluginError
from holomush_sdk.goplugin.tls import TransportSecurity

__all__ = [
    "WORLD_SERVICE_NAME",
    "HostResources",
    "PluginInstance",
    "PluginSlot",
    "start_instance",
]

WORLD_SERVICE_NAME = "holomush.world.v1.WorldService"
_SCHEMA_TIMEOUT = 10.0

AttributeSchemaMap = dict[str, dict[str, int]]


@dataclass(frozen=True)
class HostResources:
    """What every plugin instance is wired to; one per manager."""

    config: PluginManagerConfig
    security: TransportSecurity
    world: WorldServicer
    registry: ServiceRegistry
    channels: PluginChannels
    calls_of: Callable[[str], InFlightCalls]
    """A plugin's in-flight calls, by name (the broker proxy needs the provider's)."""
    provisioner: SchemaProvisioner | None


@dataclass(frozen=True)
class PluginSlot:
    """The parts of a plugin that outlive its processes."""

    plugin: DiscoveredPlugin
    identity: PluginIdentity
    calls: InFlightCalls
    host_service: PluginHostServicer


@dataclass(frozen=True)
class PluginInstance:
    """One running process of a plugin, ready for calls."""

    client: PluginClient
    service: plugin_pb2_grpc.PluginServiceAsyncStub
    attributes: attribute_pb2_grpc.AttributeResolverServiceAsyncStub
    schema: AttributeSchemaMap
    required_services: Mapping[str, str]

    @property
    def pid(self) -> int:
        return self.client.pid

    async def stop(self) -> None:
        """go-plugin's kill sequence: broker closed, Shutdown, 2 s grace, SIGKILL."""
        await self.client.kill()

    async def terminate(self) -> None:
        """SIGKILL at once: for a process that stopped answering, asking it to shut down
        only costs the grace periods."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.client.pid, signal.SIGKILL)
        await self.client.wait_exit()
        await self.client.kill()  # releases what is left (sockets, key material)


async def start_instance(slot: PluginSlot, host: HostResources) -> PluginInstance:
    manifest = slot.plugin.manifest
    connection_string = await _provision(slot.plugin, host.provisioner)
    client = await _spawn(slot.plugin, host)
    try:
        required = await _serve_broker(slot, host, client.broker)
        service = plugin_pb2_grpc.PluginServiceStub(client.channel)
        await _init(manifest.name, service, connection_string, required, host.config)
        attributes = attribute_pb2_grpc.AttributeResolverServiceStub(client.channel)
        schema = await _schema(manifest.name, manifest.resource_types, attributes)
    except BaseException:
        await client.kill()
        raise
    return PluginInstance(client, service, attributes, schema, required)


async def _provision(plugin: DiscoveredPlugin, provisioner: SchemaProvisioner | None) -> str:
    if plugin.manifest.storage is not StorageKind.POSTGRES:
        return ""
    if provisioner is None:
        raise PluginLoadError(
            "PLUGIN_STORAGE_UNAVAILABLE",
            f"plugin {go_quote(plugin.name)} declares storage: postgres, but the host has no "
            "database for plugin schemas (start the host with a database URL)",
        )
    try:
        storage = await provisioner.provision(plugin.name)
    except ProvisioningError as exc:
        hint = f" (hint: {exc.hint})" if exc.hint else ""
        raise PluginLoadError(str(exc.code), f"{exc.message}{hint}") from exc
    return storage.dsn


async def _spawn(plugin: DiscoveredPlugin, host: HostResources) -> PluginClient:
    try:
        return await start_plugin(
            plugin.name,
            plugin_command(plugin, host.config.plugin_env),
            tls=host.security,
            start_timeout=host.config.start_timeout,
        )
    except (GoPluginError, OSError) as exc:
        exit_code = getattr(exc, "exit_code", None)
        status = "" if exit_code is None else f" (exit status {exit_code})"
        raise PluginLoadError(
            "PLUGIN_START_FAILED",
            f"plugin {go_quote(plugin.name)} did not start ({plugin.executable}): {exc}"
            f"{status}; its output is in the host log under holomush.plugin.{plugin.name}",
        ) from exc


async def _serve_broker(
    slot: PluginSlot, host: HostResources, broker: GRPCBroker
) -> dict[str, str]:
    """Serve the host API and every required service; return ``required_services``."""
    manifest = slot.plugin.manifest
    required: dict[str, str] = {}

    async def serve(service: str, register: BrokerRegister) -> None:
        broker_id = broker.next_id()
        await broker.accept_and_serve(broker_id, register)
        required[service] = f"broker:{broker_id}"

    await serve(PLUGIN_HOST_SERVICE_NAME, _host_service_register(slot.host_service))
    for service in manifest.requires:
        if service not in required:
            await serve(service, _required_service_register(slot, host, service))
    return required


def _host_service_register(servicer: PluginHostServicer) -> BrokerRegister:
    def register(server: grpc.aio.Server) -> None:
        add_plugin_host_service(servicer, server)

    return register


def _required_service_register(
    slot: PluginSlot, host: HostResources, service: str
) -> BrokerRegister:
    if service == WORLD_SERVICE_NAME:

        def register_world(server: grpc.aio.Server) -> None:
            add_world_service(host.world, server)

        return register_world
    provider = host.registry.provider(service)
    if provider is None:
        raise PluginLoadError(
            "PLUGIN_SERVICE_NOT_FOUND",
            f"plugin {go_quote(slot.plugin.name)} requires service {go_quote(service)}, but "
            "no loaded plugin provides it (did its provider fail to load?)",
        )
    forwarder = GrpcForwarder(
        lambda _service: host.channels.channel_of(provider),
        accepts=lambda name: name == service,
        hook=relay_actor_hook(slot.calls, host.calls_of(provider)),
    )

    def register_proxy(server: grpc.aio.Server) -> None:
        server.add_generic_rpc_handlers([forwarder])

    return register_proxy


def relay_actor_hook(caller: InFlightCalls, provider: InFlightCalls) -> ForwardHook:
    """Vouch for an actor across a plugin-to-plugin call only if the caller is handling a
    call for that actor: the provider then counts the call as in flight for it too."""

    def hook(
        service: str, metadata: Metadata
    ) -> tuple[Metadata, contextlib.AbstractContextManager[Any]]:
        kept, _ = strip_actor_metadata(service, metadata)
        call = caller.matching(actor_from_metadata(metadata))
        if call is None:
            return kept, contextlib.nullcontext()
        relayed = CallContext(
            CallKind.SERVICE, call.actor, call.depth, call.session_id, call.streams
        )
        return with_actor_metadata(kept, call.actor), provider.track(relayed)

    return hook


async def _init(
    name: str,
    service: plugin_pb2_grpc.PluginServiceAsyncStub,
    connection_string: str,
    required: Mapping[str, str],
    config: PluginManagerConfig,
) -> None:
    request = plugin_pb2.InitRequest(
        config=plugin_pb2.ServiceConfig(
            connection_string=connection_string, required_services=dict(required)
        )
    )
    exited = PluginLoadError(
        "PLUGIN_INIT_FAILED", f"plugin {go_quote(name)} exited during Init (see its log)"
    )
    try:
        with channel_loss(lambda: exited):
            await service.Init(request, timeout=config.init_timeout)
    except grpc.aio.AioRpcError as exc:
        raise PluginLoadError(
            "PLUGIN_INIT_FAILED",
            f"plugin {go_quote(name)} failed to initialise: {exc.code().name}: {exc.details()}",
        ) from None


async def _schema(
    name: str,
    resource_types: tuple[str, ...],
    attributes: attribute_pb2_grpc.AttributeResolverServiceAsyncStub,
) -> AttributeSchemaMap:
    if not resource_types:
        return {}
    exited = PluginLoadError(
        "PLUGIN_SCHEMA_FAILED", f"plugin {go_quote(name)} exited during GetSchema"
    )
    try:
        with channel_loss(lambda: exited):
            response = await attributes.GetSchema(
                attribute_pb2.GetSchemaRequest(), timeout=_SCHEMA_TIMEOUT
            )
    except grpc.aio.AioRpcError as exc:
        if exc.code() is grpc.StatusCode.UNIMPLEMENTED:
            raise PluginLoadError(
                "PLUGIN_ATTRIBUTE_RESOLVER_MISSING",
                f"plugin {go_quote(name)} declares resource_types but serves no attribute "
                "resolver (give its handler an attribute_resolver() method)",
            ) from None
        raise PluginLoadError(
            "PLUGIN_SCHEMA_FAILED",
            f"plugin {go_quote(name)} GetSchema failed: {exc.code().name}: {exc.details()}",
        ) from None
    schema: AttributeSchemaMap = {}
    for resource_type in resource_types:
        if resource_type not in response.resource_types:
            raise PluginLoadError(
                "PLUGIN_RESOURCE_TYPE_MISSING",
                f"plugin declares resource_type {go_quote(resource_type)} but GetSchema did "
                "not return it",
            )
        schema[resource_type] = dict(response.resource_types[resource_type].attributes)
    return schema
