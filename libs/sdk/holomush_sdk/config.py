"""`ServiceConfig`: what a plugin's `init` receives from the host."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from holomush_sdk.broker_services import RequiredServices
from holomush_sdk.host_clients import PluginHost

__all__ = ["ServiceConfig"]


@dataclass(frozen=True)
class ServiceConfig:
    """Init data from the host, plus ready-to-use clients.

    - `connection_string`: PostgreSQL DSN of the plugin's own schema (``storage: postgres``).
    - `required_services`: the raw map service name → ``"broker:<id>"``.
    - `services`: dial any ``requires`` service: ``await config.services.dial(name, Stub)``.
    - `host`: clients for the host's own API (events, focus, kv, log, session_streams).
    """

    connection_string: str
    required_services: Mapping[str, str] = field(default_factory=dict)
    services: RequiredServices = field(default_factory=lambda: RequiredServices({}, None))
    host: PluginHost = field(
        default_factory=lambda: PluginHost(RequiredServices({}, None), plugin_name="")
    )
