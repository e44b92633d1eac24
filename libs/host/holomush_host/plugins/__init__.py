"""The plugin manager: discovery, load order, loading, supervision, calls, event delivery.

Entry point: `PluginManager` (``start`` → `LoadReport`; ``handle_command``;
``resolve_attributes``; ``stop``). The host's public gRPC port is
``PluginManager.public_server()`` (a `holomush_host.services.PublicGrpcServer`).
"""

from holomush_host.plugins.config import DeliverySettings, PluginManagerConfig, SupervisionSettings
from holomush_host.plugins.errors import (
    AttributeResolutionError,
    PluginCallError,
    PluginLoadError,
    PluginManagerError,
    PluginUnavailableError,
    ResourceNotFoundError,
    UnknownResourceTypeError,
)
from holomush_host.plugins.manager import PluginManager
from holomush_host.plugins.report import (
    LoadedPlugin,
    LoadOutcome,
    LoadReport,
    PluginLoadStatus,
    PluginState,
)
from holomush_host.services.public_server import PublicGrpcServer

__all__ = [
    "AttributeResolutionError",
    "DeliverySettings",
    "LoadOutcome",
    "LoadReport",
    "LoadedPlugin",
    "PluginCallError",
    "PluginLoadError",
    "PluginLoadStatus",
    "PluginManager",
    "PluginManagerConfig",
    "PluginManagerError",
    "PluginState",
    "PluginUnavailableError",
    "PublicGrpcServer",
    "ResourceNotFoundError",
    "SupervisionSettings",
    "UnknownResourceTypeError",
]
