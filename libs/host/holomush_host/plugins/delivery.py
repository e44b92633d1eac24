"""Event delivery to plugins by manifest ``events:`` (reference §4.12, made to work).

One live subscription to the event store carries every event of a type some plugin
lists. For each event and each plugin listing its type, the event is queued for that
plugin unless

* the plugin appended it itself (EmitEvent, command response or HandleEvent output), or
  its actor is the plugin: a plugin never hears its own events, so it cannot loop on them;
* it is the ``max_chain_depth``-th reaction in a chain of plugins reacting to each other's
  events (A answers B answers A …): such chains end there, the event is still stored.

Each plugin has its own queue, so a slow or broken plugin delays nobody else. Within a
plugin, events of one stream are delivered one at a time, in order; different streams
run concurrently, at most ``max_concurrency`` calls at once. Every call has a deadline
(``call_timeout``). Events a plugin returns are appended attributed to the plugin
(``{plugin, <name>}``) after the same checks as any emission (`PluginEventEmitter`);
refused ones are logged. A failing call is logged and the next event goes on; an event
whose plugin process died while handling it is delivered once more to the restarted process
(at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from holomush_host.data.errors import DataError
from holomush_host.data.event_store import EventStore
from holomush_host.data.event_types import Actor, ActorKind, LiveOnly, StoredEvent
from holomush_host.data.subscription import Subscription
from holomush_host.plugins.config import DeliverySettings
from holomush_host.plugins.errors import PluginCallError, PluginUnavailableError
from holomush_host.services.event_emitter import Emission, PluginEventEmitter
from holomush_host.services.identity import PluginIdentity
from holomush_host.services.status import HostServiceError
from holomush_sdk.events import EmitEvent

__all__ = ["DeliveryTarget", "EventDelivery"]

_log = logging.getLogger(__name__)


class DeliveryTarget(Protocol):
    """A plugin events can be delivered to (the manager's supervisors)."""

    @property
    def identity(self) -> PluginIdentity: ...

    @property
    def event_types(self) -> frozenset[str]: ...

    async def handle_event(
        self,
        event: StoredEvent,
        *,
        depth: int,
        call_timeout: float,
        wait: float,
    ) -> list[EmitEvent]: ...


class _PluginQueue:
    """One plugin's pending deliveries: a FIFO per stream, a worker per busy stream."""

    def __init__(
        self, target: DeliveryTarget, emitter: PluginEventEmitter, settings: DeliverySettings
    ) -> None:
        self._target = target
        self._name = target.identity.name
        self._emitter = emitter
        self._settings = settings
        self._streams: dict[str, deque[tuple[StoredEvent, int]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._queued = 0
        self._dropped = 0

    def put(self, event: StoredEvent, depth: int) -> None:
        if self._queued >= self._settings.max_queued:
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 100 == 0:
                _log.warning(
                    "plugin %s is %d events behind; dropped %d so far (latest %s)",
                    self._name,
                    self._queued,
                    self._dropped,
                    event.id,
                    extra={"plugin": self._name},
                )
            return
        self._streams.setdefault(event.stream, deque()).append((event, depth))
        self._queued += 1
        if event.stream not in self._workers:
            self._workers[event.stream] = asyncio.create_task(
                self._drain(event.stream), name=f"deliver {event.stream} to {self._name}"
            )

    async def close(self) -> None:
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    async def _drain(self, stream: str) -> None:
        queue = self._streams[stream]
        try:
            while queue:
                event, depth = queue.popleft()
                self._queued -= 1
                await self._deliver(event, depth)
        finally:
            # No await between the loop's last check and here, so nothing is queued for
            # this stream unseen; after a cancellation, what still waits is dropped.
            del self._workers[stream]
            self._queued -= len(queue)
            del self._streams[stream]

    async def _deliver(self, event: StoredEvent, depth: int) -> None:
        try:
            try:
                emits = await self._call(event, depth)
            except PluginUnavailableError:
                # The process went away with the event in hand (it crashed or was killed):
                # hand it to the restarted process once. At least once, not exactly once: a
                # plugin that emitted through the host before dying may emit again.
                _log.info(
                    "plugin %s went away while handling event %s; delivering it again",
                    self._name,
                    event.id,
                    extra={"plugin": self._name},
                )
                emits = await self._call(event, depth)
        except (PluginCallError, PluginUnavailableError) as exc:
            detail = exc.detail if isinstance(exc, PluginCallError) else exc.message
            _log.warning(
                "event %s (%s) not delivered to plugin %s: %s",
                event.id,
                event.type,
                self._name,
                detail,
                extra={"plugin": self._name},
            )
            return
        if emits:
            await self._append(event, emits, depth + 1)

    async def _call(self, event: StoredEvent, depth: int) -> list[EmitEvent]:
        # The slot bounds calls into the plugin only: appending what it answered is the
        # event store's work, and holding the slot through that commit halves throughput.
        async with self._slots:
            return await self._target.handle_event(
                event,
                depth=depth,
                call_timeout=self._settings.call_timeout,
                wait=self._settings.wait_for_restart,
            )

    async def _append(self, trigger: StoredEvent, emits: Sequence[EmitEvent], depth: int) -> None:
        identity = self._target.identity
        actor = Actor(ActorKind.PLUGIN, self._name)
        accepted: list[Emission] = []
        for emit in emits:
            emission = Emission(emit.stream, emit.type, emit.payload)
            try:
                self._emitter.check(identity, emission, actor)
            except (HostServiceError, DataError) as exc:
                _log.warning(
                    "plugin %s returned an event the host refused (answering %s): %s",
                    self._name,
                    trigger.id,
                    exc,
                    extra={"plugin": self._name},
                )
                continue
            accepted.append(emission)
        try:
            await self._emitter.emit(identity, accepted, actor=actor, depth=depth)
        except DataError as exc:
            _log.error(
                "could not append the events plugin %s returned: %s",
                self._name,
                exc,
                extra={"plugin": self._name},
            )


class EventDelivery:
    def __init__(
        self, events: EventStore, emitter: PluginEventEmitter, settings: DeliverySettings
    ) -> None:
        self._events = events
        self._emitter = emitter
        self._settings = settings
        self._queues: dict[str, tuple[DeliveryTarget, _PluginQueue]] = {}
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None

    def add_target(self, target: DeliveryTarget) -> None:
        """Deliver to ``target`` (call before `start`; targets without events are ignored)."""
        if target.event_types:
            queue = _PluginQueue(target, self._emitter, self._settings)
            self._queues[target.identity.name] = (target, queue)

    async def remove_target(self, name: str) -> None:
        """Stop delivering to ``name`` (it did not load); what was queued is dropped."""
        entry = self._queues.pop(name, None)
        if entry is not None:
            await entry[1].close()

    async def start(self) -> None:
        if self._task is not None or not self._queues:
            return
        types = sorted({t for target, _ in self._queues.values() for t in target.event_types})
        self._subscription = self._events.subscribe_all(start=LiveOnly(), event_types=types)
        self._task = asyncio.create_task(self._run(self._subscription), name="plugin events")

    async def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for _, queue in self._queues.values():
            await queue.close()

    async def _run(self, subscription: Subscription) -> None:
        async for event in subscription:
            try:
                await self._dispatch(event)
            except Exception:  # one bad event must not end delivery for everyone
                _log.exception("dispatching event %s to plugins failed", event.id)

    async def _dispatch(self, event: StoredEvent) -> None:
        origin = self._emitter.origins.lookup(event.id)
        depth = origin.depth if origin is not None else 0
        for name, (target, queue) in self._queues.items():
            if event.type not in target.event_types:
                continue
            if (origin is not None and origin.plugin == name) or event.actor == Actor(
                ActorKind.PLUGIN, name
            ):
                continue  # its own event
            if depth >= self._settings.max_chain_depth:
                _log.warning(
                    "event %s ends a chain of %d plugin reactions; not delivered to %s",
                    event.id,
                    depth,
                    name,
                    extra={"plugin": name},
                )
                continue
            queue.put(event, depth)
