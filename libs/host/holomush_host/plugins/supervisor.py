"""One plugin's life: load it, watch it, restart it when it dies or hangs, stop it.

After a successful load, a supervision task waits for whichever comes first:

* the process exits (a crash, ``kill -9``, an OOM kill);
* ``failed_pings`` consecutive health pings fail (the process lives but no longer
  answers: a blocked event loop, a deadlock);
* the host stops it.

In the first two cases the plugin goes RESTARTING: the old process is stopped (go-plugin's
kill sequence), and after a delay (capped exponential backoff, reset once a process has
run for ``stable_after`` seconds) a new one is started exactly like the first: schema
re-provisioned with a new password, Init sent again, GetSchema checked, services
re-registered. A failed attempt is logged and retried after the next, longer delay. While
RESTARTING, calls fail at once with `PluginUnavailableError` ("<name> is restarting; try
again in a moment.").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence

import grpc

from holomush_host.data.event_types import StoredEvent
from holomush_host.plugins.backoff import Backoff
from holomush_host.plugins.calls import call_handle_command, call_handle_event, restarting_message
from holomush_host.plugins.config import SupervisionSettings
from holomush_host.plugins.errors import PluginLoadError, PluginUnavailableError
from holomush_host.plugins.instance import HostResources, PluginInstance, PluginSlot, start_instance
from holomush_host.plugins.report import LoadedPlugin, PluginState
from holomush_host.policy.installation import PolicyInstallPlan
from holomush_host.services.channel_loss import channel_loss
from holomush_host.services.identity import PluginIdentity
from holomush_host.services.service_registry import ServiceRouteError
from holomush_sdk.commands import CommandRequest, CommandResponse
from holomush_sdk.events import EmitEvent
from holomush_sdk.goplugin.errors import PluginConnectError

__all__ = ["AfterStart", "PluginSupervisor"]

AfterStart = Callable[[PluginInstance], None]
"""Checks and registrations run after every start (first load and each restart); raising
`PluginLoadError` makes the start fail."""

_log = logging.getLogger(__name__)


class PluginSupervisor:
    def __init__(
        self,
        slot: PluginSlot,
        host: HostResources,
        *,
        after_start: AfterStart,
        policies: PolicyInstallPlan | None = None,
        warnings: Sequence[str] = (),
    ) -> None:
        self.slot = slot
        self.name = slot.plugin.name
        self.policies = policies
        self.warnings = tuple(warnings)
        self._host = host
        self._settings: SupervisionSettings = host.config.supervision
        self._after_start = after_start
        self._state = PluginState.STARTING
        self._instance: PluginInstance | None = None
        self._schema: Mapping[str, Mapping[str, int]] = {}
        self._restarts = 0
        self._ready = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- observation ----------------------------------------------------------------------

    @property
    def state(self) -> PluginState:
        return self._state

    @property
    def identity(self) -> PluginIdentity:
        return self.slot.identity

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self.slot.plugin.manifest.events)

    def snapshot(self) -> LoadedPlugin:
        manifest = self.slot.plugin.manifest
        instance = self._instance
        return LoadedPlugin(
            name=self.name,
            version=manifest.version,
            state=self._state,
            manifest=manifest,
            directory=self.slot.plugin.directory,
            services=manifest.provides,
            pid=instance.pid if instance is not None else None,
            restarts=self._restarts,
            attribute_schema=self._schema,
            warnings=self.warnings,
            policies=self.policies,
        )

    def running_instance(self) -> PluginInstance:
        """The ready process, or `PluginUnavailableError` with a player-readable reason."""
        instance = self._instance
        if self._state is PluginState.RUNNING and instance is not None:
            return instance
        if self._state in (PluginState.RESTARTING, PluginState.STARTING):
            raise PluginUnavailableError(self.name, restarting_message(self.name))
        raise PluginUnavailableError(self.name, f"{self.name} is not available.")

    async def wait_running(self, limit: float) -> PluginInstance:
        """The ready process, waiting up to ``limit`` seconds while it (re)starts."""
        if self._state in (PluginState.RESTARTING, PluginState.STARTING):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), limit)
        return self.running_instance()

    def channel(self) -> grpc.aio.Channel:
        """The main connection, for proxied service calls."""
        try:
            return self.running_instance().client.channel
        except PluginUnavailableError as exc:
            raise ServiceRouteError(grpc.StatusCode.UNAVAILABLE, exc.message) from None

    # -- calls ----------------------------------------------------------------------------

    async def handle_command(
        self, request: CommandRequest, *, call_timeout: float
    ) -> CommandResponse:
        return await call_handle_command(
            self.name, self.running_instance(), self.slot.calls, request, call_timeout=call_timeout
        )

    async def handle_event(
        self,
        event: StoredEvent,
        *,
        depth: int,
        call_timeout: float,
        wait: float,
    ) -> list[EmitEvent]:
        """Deliver one event, waiting up to ``wait`` s for a restarting process."""
        instance = await self.wait_running(wait)
        return await call_handle_event(
            self.name, instance, self.slot.calls, event, depth=depth, call_timeout=call_timeout
        )

    # -- life cycle -------------------------------------------------------------------------

    async def load(self) -> None:
        """Start the first process; `PluginLoadError` (state FAILED) if it cannot be."""
        try:
            instance = await self._start()
        except PluginLoadError:
            self._state = PluginState.FAILED
            raise
        self._become_running(instance)
        self._task = asyncio.create_task(self._supervise(instance), name=f"supervise {self.name}")

    async def stop(self) -> None:
        """Stop supervising and stop the process gracefully. Idempotent."""
        if self._state is PluginState.STOPPED:
            return
        restarting = self._state is PluginState.RESTARTING
        self._state = PluginState.STOPPING
        self._ready.clear()
        self._stop_requested.set()
        if self._task is not None:
            if restarting:
                self._task.cancel()  # a start in progress cleans up after itself
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        instance, self._instance = self._instance, None
        if instance is not None:
            await instance.stop()
        self._state = PluginState.STOPPED

    async def _start(self) -> PluginInstance:
        instance = await start_instance(self.slot, self._host)
        try:
            self._after_start(instance)
        except BaseException:
            await instance.stop()
            raise
        return instance

    def _become_running(self, instance: PluginInstance) -> None:
        self._instance = instance
        self._schema = instance.schema  # kept while restarting: policies still need it
        self._state = PluginState.RUNNING
        self._ready.set()

    async def _supervise(self, instance: PluginInstance) -> None:
        try:
            await self._supervise_forever(instance)
        except Exception:
            _log.exception("supervising plugin %s failed", self.name, extra={"plugin": self.name})
            self._state = PluginState.FAILED
            self._ready.clear()

    async def _supervise_forever(self, instance: PluginInstance) -> None:
        loop = asyncio.get_running_loop()
        backoff = Backoff(self._settings.restart_initial_delay, self._settings.restart_max_delay)
        while True:
            started = loop.time()
            outcome = await self._watch(instance)
            if outcome is None:
                return  # stop() takes it from here
            reason, hung = outcome
            self._state = PluginState.RESTARTING
            self._ready.clear()
            self._instance = None
            _log.error(
                "plugin %s %s; restarting it", self.name, reason, extra={"plugin": self.name}
            )
            await (instance.terminate() if hung else instance.stop())
            if loop.time() - started >= self._settings.stable_after:
                backoff.reset()
            restarted = await self._restart(backoff)
            if restarted is None:
                return
            instance = restarted

    async def _restart(self, backoff: Backoff) -> PluginInstance | None:
        """Try until a process is ready (returned) or the host stops (None)."""
        loop = asyncio.get_running_loop()
        down_since = loop.time()
        while True:
            delay = backoff.next_delay()
            if await self._stopping_within(delay):
                return None
            try:
                instance = await self._start()
            except PluginLoadError as exc:
                _log.error(
                    "restarting plugin %s failed: %s; next attempt in %.2g s",
                    self.name,
                    exc,
                    backoff.peek(),
                    extra={"plugin": self.name},
                )
                continue
            if self._stop_requested.is_set():
                await instance.stop()
                return None
            self._restarts += 1
            self._become_running(instance)
            _log.warning(
                "plugin %s restarted (pid %d) after %.2f s",
                self.name,
                instance.pid,
                loop.time() - down_since,
                extra={"plugin": self.name},
            )
            return instance

    async def _stopping_within(self, delay: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_requested.wait(), delay)
        return self._stop_requested.is_set()

    async def _watch(self, instance: PluginInstance) -> tuple[str, bool] | None:
        """Why the process must be replaced and whether it hangs, or None when the host
        is stopping."""
        exited = asyncio.ensure_future(instance.client.wait_exit())
        stopping = asyncio.ensure_future(self._stop_requested.wait())
        failures = 0
        try:
            while True:
                done, _ = await asyncio.wait(
                    {exited, stopping},
                    timeout=self._settings.ping_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if stopping in done:
                    return None
                if exited in done:
                    return f"exited unexpectedly with status {exited.result()}", False
                try:
                    with channel_loss(lambda: PluginConnectError("the channel closed")):
                        await instance.client.ping(timeout=self._settings.ping_timeout)
                except PluginConnectError as exc:
                    if instance.client.exited:
                        continue  # the exit is reported on the next round
                    failures += 1
                    _log.warning("%s", exc, extra={"plugin": self.name})
                    if failures >= self._settings.failed_pings:
                        return f"stopped answering ({failures} health checks failed)", True
                else:
                    failures = 0
        finally:
            for waiter in (exited, stopping):
                waiter.cancel()
