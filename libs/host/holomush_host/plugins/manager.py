"""`PluginManager`: discover, order, load, supervise and call the host's plugins.

``start`` runs the reference's LoadAll pipeline (§4.2) with its gaps closed:

1. discover ``<plugins dir>/*/plugin.yaml``; broken manifests are reported (INVALID) and
   ``type: lua`` / ``setting`` plugins reported as UNSUPPORTED, never loaded, never fatal;
2. order the binary plugins by ``requires``/``provides`` and ``dependencies`` (Kahn); the
   host's own PluginHostService and WorldService satisfy ``requires``; a plugin with an
   unmet requirement, a duplicate name or provider, or in a cycle is reported FAILED with
   its code, and so is whatever needs it;
3. load each plugin as soon as what it needs has loaded (independent plugins start
   concurrently): command capabilities and policies checked; schema provisioned;
   process started, brokered services served, Init sent; GetSchema checked; provided
   services registered (reachable on the public port); then supervised (`supervisor`);
4. deliver store events to plugins by manifest ``events:`` (`delivery`).

A plugin that fails to load leaves the others running; the `LoadReport` says what
happened to every directory. `stop` stops delivery, then every plugin (go-plugin's kill
sequence).

Commands: `handle_command` sends one to its plugin; events in the response are appended
(checked against ``emits``, attributed to the invoking character) before it returns, and
the returned response's ``events`` is empty so nobody appends them twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import grpc
import grpc.aio

from holomush_host.data.errors import DataError
from holomush_host.data.event_types import Actor, ActorKind
from holomush_host.data.host_data import HostData
from holomush_host.manifest.capabilities import (
    Vocabulary,
    check_command_capabilities,
    known_vocabulary,
)
from holomush_host.manifest.dependencies import plan_load_order
from holomush_host.manifest.discovery import DiscoveredPlugin, DiscoveryResult, discover
from holomush_host.manifest.errors import go_quote
from holomush_host.manifest.model import StorageKind
from holomush_host.manifest.vocabulary import DEFAULT_HOST_SERVICES
from holomush_host.plugins.attributes import PluginAttributeProvider, resolve_resource_attributes
from holomush_host.plugins.config import PluginManagerConfig
from holomush_host.plugins.delivery import EventDelivery
from holomush_host.plugins.errors import (
    PluginCallError,
    PluginLoadError,
    PluginUnavailableError,
    UnknownResourceTypeError,
)
from holomush_host.plugins.instance import HostResources, PluginSlot
from holomush_host.plugins.loading import (
    AfterStartChecks,
    discovery_statuses,
    failed_status,
    load_concurrently,
)
from holomush_host.plugins.report import (
    LoadedPlugin,
    LoadOutcome,
    LoadReport,
    PluginLoadStatus,
)
from holomush_host.plugins.supervisor import PluginSupervisor
from holomush_host.policy.errors import PolicyInstallError
from holomush_host.policy.installation import (
    PolicyInstallPlan,
    prepare_plugin_policies,
)
from holomush_host.services.call_context import InFlightCalls
from holomush_host.services.event_emitter import Emission, PluginEventEmitter
from holomush_host.services.event_origins import EventOrigins
from holomush_host.services.identity import PluginIdentity
from holomush_host.services.plugin_host import PluginHostServicer
from holomush_host.services.public_server import DEFAULT_PUBLIC_ADDRESS, PublicGrpcServer
from holomush_host.services.service_registry import (
    ServiceRegistry,
    ServiceRouteError,
)
from holomush_host.services.status import HostServiceError
from holomush_host.services.stream_access import StreamAccess
from holomush_host.services.world import WorldAuthorizer, WorldServicer
from holomush_host.storage.provisioner import ProvisioningError, SchemaProvisioner
from holomush_sdk.commands import CommandRequest, CommandResponse, CommandStatus
from holomush_sdk.goplugin.tls import TransportSecurity

__all__ = ["PluginManager"]

_log = logging.getLogger(__name__)


class PluginManager:
    def __init__(
        self,
        config: PluginManagerConfig,
        data: HostData,
        *,
        provisioner: SchemaProvisioner | None = None,
        world_authorizer: WorldAuthorizer | None = None,
    ) -> None:
        """``provisioner``: an open one to use (the caller closes it); otherwise one is
        opened from ``config.database_url`` when a plugin needs a schema."""
        self._config = config
        self._data = data
        self._security = config.security or TransportSecurity.mtls()
        self._provisioner = provisioner
        self._owns_provisioner = False
        self.registry = ServiceRegistry(DEFAULT_HOST_SERVICES)
        self.emitter = PluginEventEmitter(data.events, EventOrigins())
        self.world = WorldServicer(data.world, authorize=world_authorizer)
        self._access = StreamAccess(data.focus.streams_for_session)
        self._delivery = EventDelivery(data.events, self.emitter, config.delivery)
        self._calls: dict[str, InFlightCalls] = {}
        self._supervisors: dict[str, PluginSupervisor] = {}
        self._order: list[str] = []
        self._storage_error: PluginLoadError | None = None
        self._commands: dict[str, str] = {}
        self._resource_owners: dict[str, str] = {}
        self._report: LoadReport | None = None
        self._stopped = False

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> LoadReport:
        """Load every plugin; returns what happened to each. Call once."""
        if self._report is not None:
            raise RuntimeError("PluginManager.start() was already called")
        discovery = await asyncio.to_thread(discover, self._config.plugins_dir)
        statuses = discovery_statuses(discovery)
        plan = plan_load_order(list(discovery.plugins), self.registry.host_services)
        for problem in plan.problems:
            for name in problem.plugins:
                path = _path_of(discovery, name)
                statuses.append(failed_status(name, problem.code.value, problem.message, path))
        vocabulary = known_vocabulary(
            [p.manifest for p in (*discovery.plugins, *discovery.unsupported)]
        )
        self._storage_error = await self._open_provisioner(plan.order)
        host = HostResources(
            config=self._config,
            security=self._security,
            world=self.world,
            registry=self.registry,
            channels=self,
            calls_of=self._calls_of,
            provisioner=self._provisioner,
        )
        prepared = [(plugin, self._prepare(plugin, host, vocabulary)) for plugin in plan.order]
        for _, outcome in prepared:
            if isinstance(outcome, PluginSupervisor):
                self._delivery.add_target(outcome)
        # Before loading: events plugins emit during their Init reach the others too.
        await self._delivery.start()
        results = await load_concurrently(prepared, self._load)
        loaded, failed = self._settle(plan.order, results)
        for status in failed:
            await self._delivery.remove_target(status.name)
        self._report = LoadReport((*loaded, *failed, *statuses))
        for status in self._report.plugins:
            if status.outcome is LoadOutcome.LOADED:
                _log.info("plugin %s loaded", status.name, extra={"plugin": status.name})
            elif status.outcome is not LoadOutcome.SKIPPED:
                _log.warning("plugin %s", status, extra={"plugin": status.name})
        return self._report

    def _settle(
        self, order: Sequence[DiscoveredPlugin], results: Sequence[PluginLoadStatus]
    ) -> tuple[list[PluginLoadStatus], list[PluginLoadStatus]]:
        """Record the loaded plugins in load order: commands, resource types, warnings."""
        loaded: list[PluginLoadStatus] = []
        failed: list[PluginLoadStatus] = []
        for plugin, status in zip(order, results, strict=True):
            if status.outcome is not LoadOutcome.LOADED:
                failed.append(status)
                continue
            supervisor = self._supervisors[plugin.name]
            self._order.append(plugin.name)
            for resource_type in plugin.manifest.resource_types:
                self._resource_owners[resource_type] = plugin.name
            for spec in plugin.manifest.commands:
                for word in (spec.name, *spec.aliases):
                    owner = self._commands.setdefault(word.lower(), plugin.name)
                    if owner != plugin.name:
                        supervisor.warnings += (
                            f"command word {go_quote(word)} is already handled by plugin "
                            f"{go_quote(owner)}; it stays there",
                        )
            loaded.append(replace(status, warnings=supervisor.warnings))
        return loaded, failed

    async def stop(self) -> None:
        """Stop event delivery, then every plugin (go-plugin's kill sequence, all at
        once: each gets the same grace period). Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        await self._delivery.stop()
        supervisors = list(self._supervisors.values())
        outcomes = await asyncio.gather(
            *(supervisor.stop() for supervisor in supervisors), return_exceptions=True
        )
        for supervisor, outcome in zip(supervisors, outcomes, strict=True):
            if isinstance(outcome, Exception):
                _log.error("stopping plugin %s failed", supervisor.name, exc_info=outcome)
            self.registry.deregister_plugin(supervisor.name)
        if self._owns_provisioner and self._provisioner is not None:
            await self._provisioner.close()

    @property
    def report(self) -> LoadReport | None:
        return self._report

    # -- queries ----------------------------------------------------------------------------

    def loaded(self) -> Sequence[LoadedPlugin]:
        """Every plugin that loaded, in load order, with its current state."""
        return [self._supervisors[name].snapshot() for name in self._order]

    def plugin(self, name: str) -> LoadedPlugin | None:
        supervisor = self._supervisors.get(name)
        return supervisor.snapshot() if supervisor is not None else None

    def command_owner(self, command_name: str) -> str | None:
        """The plugin that handles a command word (canonical name or alias, any case)."""
        return self._commands.get(command_name.lower())

    async def wait_running(self, name: str, timeout: float = 30.0) -> LoadedPlugin:  # noqa: ASYNC109
        """The plugin once it is running, waiting up to ``timeout`` while it restarts;
        `PluginUnavailableError` if it is not running by then."""
        supervisor = self._supervisor(name)
        await supervisor.wait_running(timeout)
        return supervisor.snapshot()

    # -- calls ----------------------------------------------------------------------------

    async def handle_command(
        self,
        plugin: str,
        request: CommandRequest,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> CommandResponse:
        """Run ``request`` in ``plugin``.

        The response's events are appended here (each checked against the plugin's
        ``emits``; attributed to the invoking character) and removed from the returned
        response. A Fatal status raises `PluginCallError` (nothing shown, nothing
        emitted). Raises `PluginUnavailableError` while the plugin is not running.
        """
        supervisor = self._supervisor(plugin)
        response = await supervisor.handle_command(request, call_timeout=timeout)
        if response.status is CommandStatus.FATAL:
            raise PluginCallError(
                plugin,
                f"{plugin} could not complete that command; the problem has been logged.",
                detail=f"{plugin} returned a Fatal status for {request.command!r}: "
                f"{response.output or '(no output)'}",
            )
        if response.events:
            await self._append_command_events(supervisor, request, response)
        return replace(response, events=[])

    async def resolve_attributes(self, resource_type: str, resource_id: str) -> dict[str, object]:
        """The attributes of ``<resource_type>:<resource_id>`` from the plugin that owns
        the type. Raises `UnknownResourceTypeError`, `PluginUnavailableError`,
        `ResourceNotFoundError` or `AttributeResolutionError`."""
        owner = self._resource_owners.get(resource_type)
        if owner is None:
            raise UnknownResourceTypeError(resource_type)
        instance = self._supervisors[owner].running_instance()
        return await resolve_resource_attributes(owner, instance, resource_type, resource_id)

    def attribute_providers(self) -> list[PluginAttributeProvider]:
        """One policy-engine ``AttributeProvider`` per plugin resource type."""
        return [
            PluginAttributeProvider(
                resource_type, self._attribute_names(owner, resource_type), self.resolve_attributes
            )
            for resource_type, owner in self._resource_owners.items()
        ]

    def channel_of(self, plugin: str) -> grpc.aio.Channel:
        """The plugin's connection (`PluginChannels`, for the public port and proxies)."""
        return self._supervisor_for_route(plugin).channel()

    def public_server(
        self,
        address: str = DEFAULT_PUBLIC_ADDRESS,
        *,
        credentials: grpc.ServerCredentials | None = None,
    ) -> PublicGrpcServer:
        """The host's public gRPC port, serving WorldService and provided services."""
        return PublicGrpcServer(
            world=self.world,
            registry=self.registry,
            channels=self,
            address=address,
            credentials=credentials,
        )

    # -- loading ----------------------------------------------------------------------------

    def _prepare(
        self, plugin: DiscoveredPlugin, host: HostResources, vocabulary: Vocabulary
    ) -> PluginSupervisor | PluginLoadStatus:
        """Checks that need no process; a supervisor ready to load, or why not."""
        manifest = plugin.manifest
        check = check_command_capabilities(manifest, vocabulary)
        if check.problems:
            message = "; ".join(str(problem) for problem in check.problems)
            return failed_status(plugin.name, "INVALID_CAPABILITY", message, plugin.manifest_path)
        try:
            policies: PolicyInstallPlan | None = prepare_plugin_policies(
                manifest, trusted_plugins=self._config.trusted_plugins
            )
        except PolicyInstallError as exc:
            return failed_status(
                plugin.name, "PLUGIN_POLICY_INVALID", str(exc), plugin.manifest_path
            )
        identity_calls = self._calls_of(plugin.name)
        identity = PluginIdentity.of(manifest)
        servicer = PluginHostServicer(
            identity, identity_calls, data=self._data, emitter=self.emitter, access=self._access
        )
        slot = PluginSlot(plugin, identity, identity_calls, servicer)
        warnings = (*check.warnings, *(policies.warnings if policies else ()))
        return PluginSupervisor(
            slot,
            host,
            after_start=AfterStartChecks(plugin, policies, self.registry),
            policies=policies,
            warnings=warnings,
        )

    async def _load(
        self, plugin: DiscoveredPlugin, supervisor: PluginSupervisor
    ) -> PluginLoadStatus:
        path = plugin.manifest_path
        error = self._storage_error
        if error is not None and plugin.manifest.storage is StorageKind.POSTGRES:
            return failed_status(plugin.name, error.code, error.message, path)
        try:
            await supervisor.load()
        except PluginLoadError as exc:
            return failed_status(plugin.name, exc.code, exc.message, path)
        # Visible at once: a plugin loading next may call this one's services in its Init.
        self._supervisors[plugin.name] = supervisor
        return PluginLoadStatus(plugin.name, LoadOutcome.LOADED, path=path)

    async def _open_provisioner(
        self, plugins: Sequence[DiscoveredPlugin]
    ) -> PluginLoadError | None:
        needed = any(p.manifest.storage is StorageKind.POSTGRES for p in plugins)
        if not needed or self._provisioner is not None or self._config.database_url is None:
            return None
        try:
            provisioner = SchemaProvisioner(self._config.database_url)
            await provisioner.open()
        except ProvisioningError as exc:
            hint = f" (hint: {exc.hint})" if exc.hint else ""
            return PluginLoadError(str(exc.code), f"{exc.message}{hint}")
        self._provisioner = provisioner
        self._owns_provisioner = True
        return None

    async def _append_command_events(
        self, supervisor: PluginSupervisor, request: CommandRequest, response: CommandResponse
    ) -> None:
        emissions = [Emission(e.stream, e.type, e.payload) for e in response.events]
        actor = Actor(ActorKind.CHARACTER, request.character_id)
        try:
            await self.emitter.emit(supervisor.identity, emissions, actor=actor, depth=0)
        except (HostServiceError, DataError) as exc:
            _log.error(
                "plugin %s answered %r with events the host refused (none appended): %s",
                supervisor.name,
                request.command,
                exc,
                extra={"plugin": supervisor.name},
            )

    # -- helpers ----------------------------------------------------------------------------

    def _calls_of(self, plugin: str) -> InFlightCalls:
        return self._calls.setdefault(plugin, InFlightCalls())

    def _supervisor(self, name: str) -> PluginSupervisor:
        supervisor = self._supervisors.get(name)
        if supervisor is None:
            raise PluginUnavailableError(name, f"{name} is not available.")
        return supervisor

    def _supervisor_for_route(self, name: str) -> PluginSupervisor:
        supervisor = self._supervisors.get(name)
        if supervisor is None:
            raise ServiceRouteError(grpc.StatusCode.UNAVAILABLE, f"{name} is not available.")
        return supervisor

    def _attribute_names(self, owner: str, resource_type: str) -> Callable[[], frozenset[str]]:
        def names() -> frozenset[str]:
            schema = self._supervisors[owner].snapshot().attribute_schema
            return frozenset(schema.get(resource_type, {}))

        return names


def _path_of(discovery: DiscoveryResult, name: str) -> Path | None:
    return next((p.manifest_path for p in discovery.plugins if p.name == name), None)
