"""Errors of the plugin manager.

Two kinds reach the player side, and both carry a ``message`` a player may read:

* `PluginUnavailableError`: the plugin is not running right now (restarting, failed,
  stopped); trying again later may work.
* `PluginCallError`: the plugin was asked and the call went wrong (timeout, crash in the
  handler, a Fatal status). ``detail`` says what happened, for the log only.

`PluginLoadError` is what loading a plugin failed with; it ends up in the `LoadReport`.
"""

from __future__ import annotations

__all__ = [
    "AttributeResolutionError",
    "PluginCallError",
    "PluginLoadError",
    "PluginManagerError",
    "PluginUnavailableError",
    "ResourceNotFoundError",
    "UnknownResourceTypeError",
]


class PluginManagerError(Exception):
    """Base class of the manager's own errors."""


class PluginUnavailableError(PluginManagerError):
    """The plugin cannot take calls now; ``message`` says so in words for a player."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(message)
        self.plugin = plugin
        self.message = message


class PluginCallError(PluginManagerError):
    """A call to a plugin failed. ``message`` is safe to show a player; ``detail`` is for
    the log (it may name internals)."""

    def __init__(self, plugin: str, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.plugin = plugin
        self.message = message
        self.detail = detail or message

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})" if self.detail != self.message else self.message


class AttributeResolutionError(PluginCallError):
    """Resolving a resource's attributes through its plugin failed."""


class ResourceNotFoundError(AttributeResolutionError):
    """The plugin says the resource does not exist."""


class UnknownResourceTypeError(PluginManagerError, LookupError):
    """No loaded plugin owns the resource type."""

    def __init__(self, resource_type: str) -> None:
        super().__init__(f"no loaded plugin declares resource type {resource_type!r}")
        self.resource_type = resource_type


class PluginLoadError(PluginManagerError):
    """Loading (or restarting) a plugin failed; ``code`` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
