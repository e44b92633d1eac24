"""Settings of the plugin manager, with the defaults a production host uses."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from holomush_sdk.goplugin.tls import TransportSecurity

__all__ = ["DeliverySettings", "PluginManagerConfig", "SupervisionSettings"]


@dataclass(frozen=True)
class SupervisionSettings:
    """How plugins are watched and restarted."""

    ping_interval: float = 5.0
    """Seconds between health pings of a running plugin."""
    ping_timeout: float = 2.0
    failed_pings: int = 3
    """Consecutive failed pings after which a plugin counts as hung and is restarted."""
    restart_initial_delay: float = 0.25
    restart_max_delay: float = 30.0
    """The restart delay doubles after each failed attempt, up to this."""
    stable_after: float = 60.0
    """A plugin that ran this long restarts with the initial delay again."""


@dataclass(frozen=True)
class DeliverySettings:
    """How store events reach plugins that list their types under ``events:``."""

    call_timeout: float = 5.0
    """Per HandleEvent call (the reference's DefaultEventTimeout)."""
    max_concurrency: int = 4
    """Calls in flight per plugin (each stream is still delivered in order)."""
    max_queued: int = 1000
    """Events waiting per plugin; beyond this new ones are dropped with a warning."""
    max_chain_depth: int = 4
    """Reactions to reactions stop here: an event that is the n-th link of a plugin
    reaction chain is not delivered when n reaches this (it is still stored)."""
    wait_for_restart: float = 30.0
    """How long a queued event waits for its restarting plugin before it is dropped."""


@dataclass(frozen=True)
class PluginManagerConfig:
    plugins_dir: Path
    """``<plugins dir>/*/plugin.yaml`` are the plugins."""
    security: TransportSecurity | None = None
    """Transport security for plugin connections; default: mTLS with a fresh CA."""
    database_url: str | None = None
    """A ``postgresql://`` URL for a role with CREATEROLE: the manager provisions the
    schemas of ``storage: postgres`` plugins through it."""
    plugin_env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment for every plugin process. Plugins otherwise get only ``PATH``,
    ``HOME``, locale and temp-dir variables, plus the transport's own."""
    trusted_plugins: Collection[str] = ()
    """The server allowlist for manifest ``trust.all_principals``."""
    start_timeout: float = 60.0
    """Seconds a plugin has to complete the go-plugin handshake."""
    init_timeout: float = 60.0
    """Seconds a plugin's Init may take (it may run migrations)."""
    supervision: SupervisionSettings = SupervisionSettings()
    delivery: DeliverySettings = DeliverySettings()
