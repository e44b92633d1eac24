"""Who a host-service call is for: the plugin a broker connection belongs to."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from holomush_host.manifest.model import Manifest

__all__ = ["PLUGIN_LOGGER_NAME", "PluginIdentity", "plugin_logger"]

PLUGIN_LOGGER_NAME = "holomush.plugin"


def plugin_logger(name: str) -> logging.Logger:
    """The logger a plugin's output goes to (the transport relays its stderr there too)."""
    return logging.getLogger(PLUGIN_LOGGER_NAME).getChild(name)


@dataclass(frozen=True)
class PluginIdentity:
    """A plugin as the host services see it. The name comes from the connection (each
    plugin gets its own broker servers), never from a request field."""

    name: str
    emits: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, manifest: Manifest) -> PluginIdentity:
        return cls(manifest.name, frozenset(manifest.emits))
