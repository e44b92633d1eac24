"""The host's services: what plugins call (PluginHostService, WorldService) and the public
gRPC port that exposes WorldService and the services plugins provide."""

from holomush_host.services.call_context import CallContext, CallKind, InFlightCalls
from holomush_host.services.event_emitter import Emission, PluginEventEmitter
from holomush_host.services.event_origins import EventOrigin, EventOrigins
from holomush_host.services.grpc_proxy import GrpcForwarder
from holomush_host.services.identity import PluginIdentity
from holomush_host.services.plugin_host import PluginHostServicer
from holomush_host.services.public_server import PublicGrpcServer
from holomush_host.services.service_registry import (
    ServiceRegistry,
    ServiceRegistryError,
    ServiceRouteError,
)
from holomush_host.services.status import HostServiceError
from holomush_host.services.stream_access import StreamAccess
from holomush_host.services.world import WorldServicer

__all__ = [
    "CallContext",
    "CallKind",
    "Emission",
    "EventOrigin",
    "EventOrigins",
    "GrpcForwarder",
    "HostServiceError",
    "InFlightCalls",
    "PluginEventEmitter",
    "PluginHostServicer",
    "PluginIdentity",
    "PublicGrpcServer",
    "ServiceRegistry",
    "ServiceRegistryError",
    "ServiceRouteError",
    "StreamAccess",
    "WorldServicer",
]
