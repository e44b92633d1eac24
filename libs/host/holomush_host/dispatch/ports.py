"""What the dispatcher and the policy wiring need from the plugin manager.

`holomush_host.plugins.PluginManager` implements `PluginCommands` as is; the app adapts
its ``resolve_attributes`` to `PluginAttributes` (a missing resource is None there).
Unit tests use a scripted fake. The manager's two call errors are the only failures the
dispatcher expects from a plugin; anything else is a host bug (logged, and the player
gets a plain sentence).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from holomush_host.plugins.errors import PluginCallError, PluginUnavailableError
from holomush_sdk.commands import CommandRequest, CommandResponse

__all__ = ["PluginAttributes", "PluginCallError", "PluginCommands", "PluginUnavailableError"]


class PluginCommands(Protocol):
    async def handle_command(
        self,
        plugin: str,
        request: CommandRequest,
        *,
        timeout: float,  # noqa: ASYNC109 - the gRPC deadline of the call
    ) -> CommandResponse:
        """Run a command in ``plugin``: PluginUnavailableError while it is not running,
        PluginCallError when the call fails (timeout, crash, a Fatal status).

        The response's ``events`` are the implementation's to append (checked against the
        plugin's ``emits``, with the invoking character as actor); the dispatcher only
        shows the output.
        """
        ...


class PluginAttributes(Protocol):
    async def resolve_attributes(
        self, resource_type: str, resource_id: str
    ) -> Mapping[str, object] | None:
        """The attributes of ``<resource_type>:<resource_id>`` from the owning plugin
        (None: no such resource). Raises when the plugin cannot answer."""
        ...
