"""Pieces of the load pipeline: concurrent loading in dependency order, the per-start
checks, and turning discovery results into report entries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from holomush_host.manifest.discovery import MANIFEST_FILE, DiscoveredPlugin, DiscoveryResult
from holomush_host.manifest.errors import go_quote
from holomush_host.plugins.errors import PluginLoadError
from holomush_host.plugins.instance import PluginInstance
from holomush_host.plugins.report import LoadOutcome, PluginLoadStatus
from holomush_host.plugins.supervisor import PluginSupervisor
from holomush_host.policy.installation import PolicyInstallPlan, validate_policy_attributes
from holomush_host.services.service_registry import ServiceRegistry, ServiceRegistryError

__all__ = [
    "AfterStartChecks",
    "Prepared",
    "discovery_statuses",
    "failed_status",
    "load_concurrently",
]

Prepared = tuple[DiscoveredPlugin, PluginSupervisor | PluginLoadStatus]
"""A plugin of the load plan, with its supervisor or the reason it cannot load."""
LoadOne = Callable[[DiscoveredPlugin, PluginSupervisor], Awaitable[PluginLoadStatus]]

_log = logging.getLogger(__name__)


async def load_concurrently(prepared: Sequence[Prepared], load: LoadOne) -> list[PluginLoadStatus]:
    """Load every plugin as soon as the plugins it needs (providers of its ``requires``,
    its ``dependencies``) have loaded; statuses come back in ``prepared``'s order.

    ``prepared`` must be in a valid load order (`plan_load_order`): a plugin never waits
    for one that comes after it, so this cannot deadlock.
    """
    loop = asyncio.get_running_loop()
    providers = {
        service: plugin.name for plugin, _ in prepared for service in plugin.manifest.provides
    }
    loaded: dict[str, asyncio.Future[bool]] = {p.name: loop.create_future() for p, _ in prepared}

    async def load_one(
        plugin: DiscoveredPlugin, outcome: PluginSupervisor | PluginLoadStatus
    ) -> PluginLoadStatus:
        status = outcome if isinstance(outcome, PluginLoadStatus) else None
        try:
            if status is None:
                status = await _blocked(plugin, providers, loaded)
            if status is None:
                assert isinstance(outcome, PluginSupervisor)
                status = await load(plugin, outcome)
        except Exception as exc:  # a bug must not take the other plugins down with it
            _log.exception("loading plugin %s failed", plugin.name)
            status = failed_status(plugin.name, "PLUGIN_LOAD_ERROR", str(exc), plugin.manifest_path)
        loaded[plugin.name].set_result(status.outcome is LoadOutcome.LOADED)
        return status

    return list(await asyncio.gather(*(load_one(plugin, outcome) for plugin, outcome in prepared)))


async def _blocked(
    plugin: DiscoveredPlugin, providers: dict[str, str], loaded: dict[str, asyncio.Future[bool]]
) -> PluginLoadStatus | None:
    """Wait for what ``plugin`` needs; a FAILED status if any of it did not load."""
    manifest = plugin.manifest
    for service in manifest.requires:
        provider = providers.get(service)
        if provider is not None and provider in loaded and not await loaded[provider]:
            return failed_status(
                plugin.name,
                "PLUGIN_SERVICE_NOT_FOUND",
                f"plugin {go_quote(plugin.name)} requires service {go_quote(service)}, but its "
                f"provider {go_quote(provider)} did not load (see its entry in this report)",
                plugin.manifest_path,
            )
    for dependency in manifest.dependencies:
        if dependency in loaded and not await loaded[dependency]:
            return failed_status(
                plugin.name,
                "UNSATISFIED_DEPENDENCY",
                f"plugin {go_quote(plugin.name)} depends on plugin {go_quote(dependency)}, which "
                "did not load (see its entry in this report)",
                plugin.manifest_path,
            )
    return None


class AfterStartChecks:
    """Run after each start of a plugin: its policies' attributes against the schema it
    just reported, then its provided services registered."""

    def __init__(
        self,
        plugin: DiscoveredPlugin,
        policies: PolicyInstallPlan | None,
        registry: ServiceRegistry,
    ) -> None:
        self._plugin = plugin
        self._policies = policies
        self._registry = registry

    def __call__(self, instance: PluginInstance) -> None:
        if self._policies is not None and instance.schema:
            schemas = {rt: frozenset(attrs) for rt, attrs in instance.schema.items()}
            problems = validate_policy_attributes(self._policies.policies, schemas)
            if problems:
                raise PluginLoadError(
                    "PLUGIN_SCHEMA_VALIDATION_FAILED",
                    "; ".join(f"policy {go_quote(p.policy)}: {p.message}" for p in problems),
                )
        for service in self._plugin.manifest.provides:
            try:
                self._registry.register(service, self._plugin.name)
            except ServiceRegistryError as exc:
                raise PluginLoadError(exc.code, exc.message) from None


def discovery_statuses(discovery: DiscoveryResult) -> list[PluginLoadStatus]:
    """Report entries for what discovery did not hand on: unsupported, invalid, skipped."""
    statuses = [
        PluginLoadStatus(
            plugin.name,
            LoadOutcome.UNSUPPORTED,
            plugin.manifest.unsupported_reason or "",
            code="UNSUPPORTED_PLUGIN_TYPE",
            path=plugin.manifest_path,
        )
        for plugin in discovery.unsupported
    ]
    for error in discovery.errors:
        path = Path(error.source) if error.source else None
        name = path.parent.name if path is not None and path.name == MANIFEST_FILE else str(path)
        statuses.append(
            PluginLoadStatus(
                name, LoadOutcome.INVALID, str(error), code="MANIFEST_INVALID", path=path
            )
        )
    statuses.extend(
        PluginLoadStatus(entry.path.name, LoadOutcome.SKIPPED, entry.reason, path=entry.path)
        for entry in discovery.skipped
    )
    return statuses


def failed_status(name: str, code: str, message: str, path: Path | None) -> PluginLoadStatus:
    return PluginLoadStatus(name, LoadOutcome.FAILED, message, code=code, path=path)
