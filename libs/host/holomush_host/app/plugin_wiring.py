"""Joining the loaded plugins to the player side: their commands, policies, resources."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from holomush_host.commands.registry import CommandConflictError, CommandRegistry
from holomush_host.dispatch.authorization import HostAuthorization
from holomush_host.plugins.errors import ResourceNotFoundError
from holomush_host.plugins.manager import PluginManager
from holomush_host.plugins.report import LoadedPlugin, PluginState
from holomush_host.policy.errors import PolicyInstallError

_LOG = logging.getLogger(__name__)


class ManagerAttributes:
    """`PluginAttributes` over the plugin manager: a missing resource is None, not an error
    (so a check on it is a plain deny); every other failure still fails closed."""

    def __init__(self, manager: PluginManager) -> None:
        self._manager = manager

    async def resolve_attributes(
        self, resource_type: str, resource_id: str
    ) -> Mapping[str, object] | None:
        try:
            return await self._manager.resolve_attributes(resource_type, resource_id)
        except ResourceNotFoundError:
            return None


def running_plugins(manager: PluginManager) -> frozenset[str]:
    return frozenset(p.name for p in manager.loaded() if p.state is PluginState.RUNNING)


@dataclass(frozen=True)
class WiringProblem:
    plugin: str
    message: str

    def __str__(self) -> str:
        return f"{self.plugin}: {self.message}"


def wire_plugin(
    plugin: LoadedPlugin, registry: CommandRegistry, authorization: HostAuthorization
) -> WiringProblem | None:
    """Install the plugin's policies, then register its commands; on any problem neither
    is kept (the plugin keeps running, but players cannot reach it)."""
    manifest = plugin.manifest
    schemas = {rt: frozenset(attrs) for rt, attrs in plugin.attribute_schema.items()}
    try:
        authorization.install_plugin(manifest, schemas)
    except PolicyInstallError as exc:
        return WiringProblem(plugin.name, str(exc))
    try:
        registry.register_plugin(manifest, help_files=_help_files(plugin))
    except CommandConflictError as exc:
        authorization.remove_plugin(plugin.name)
        return WiringProblem(plugin.name, f"commands not registered: {exc}")
    return None


def _help_files(plugin: LoadedPlugin) -> dict[str, Path]:
    # Discovery checked that each help file exists inside the plugin directory.
    return {
        spec.name: plugin.directory / spec.help_file
        for spec in plugin.manifest.commands
        if spec.help_file
    }
