"""Required services: broker addresses from Init, and typed clients dialled through them.

The host serves every service a plugin ``requires`` on a go-plugin broker connection and
tells the plugin where in `ServiceConfig.required_services`: service name →
``"broker:<id>"``. `parse_broker_services` / `broker_service_id` read that map (with the
reference SDK's error texts); `RequiredServices` dials each one once and hands out typed
stubs::

    world = await config.services.dial("holomush.world.v1.WorldService", WorldServiceStub)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

import grpc

from holomush_sdk.errors import PluginError
from holomush_sdk.goplugin._gostrconv import quote as go_quote

__all__ = [
    "BROKER_ADDRESS_PREFIX",
    "PLUGIN_HOST_SERVICE_NAME",
    "BrokerDialer",
    "BrokerServiceError",
    "RequiredServices",
    "broker_service_id",
    "parse_broker_services",
]

_log = logging.getLogger(__name__)

PLUGIN_HOST_SERVICE_NAME = "holomush.plugin.v1.PluginHostService"
BROKER_ADDRESS_PREFIX = "broker:"
_UINT32_MAX = 2**32 - 1

S = TypeVar("S")


class BrokerServiceError(PluginError):
    """A ``required_services`` entry is malformed or missing."""


def _parse_uint32(text: str) -> int:
    """Go ``strconv.ParseUint(text, 10, 32)``, raising with Go's error text."""
    if not text or not all("0" <= char <= "9" for char in text):
        raise ValueError(f"strconv.ParseUint: parsing {go_quote(text)}: invalid syntax")
    value = int(text)
    if value > _UINT32_MAX:
        raise ValueError(f"strconv.ParseUint: parsing {go_quote(text)}: value out of range")
    return value


def parse_broker_services(services: Mapping[str, str]) -> dict[str, int]:
    """Map each service name to its broker ID; every value must be ``"broker:<uint32>"``."""
    parsed: dict[str, int] = {}
    for name, address in services.items():
        if not address.startswith(BROKER_ADDRESS_PREFIX):
            raise BrokerServiceError(
                f"service {go_quote(name)}: expected {go_quote(BROKER_ADDRESS_PREFIX)} "
                f"prefix, got {go_quote(address)}"
            )
        id_text = address[len(BROKER_ADDRESS_PREFIX) :]
        try:
            parsed[name] = _parse_uint32(id_text)
        except ValueError as exc:
            raise BrokerServiceError(
                f"service {go_quote(name)}: invalid broker ID {go_quote(id_text)}: {exc}"
            ) from None
    return parsed


def _not_found(name: str) -> BrokerServiceError:
    return BrokerServiceError(f"service {go_quote(name)} not found in required services")


def broker_service_id(services: Mapping[str, str], name: str) -> int:
    """The broker ID of `name`. Every entry is parsed, so any malformed entry fails."""
    parsed = parse_broker_services(services)
    if name not in parsed:
        raise _not_found(name)
    return parsed[name]


class BrokerDialer(Protocol):
    """What `RequiredServices` needs from the go-plugin broker."""

    # The go-plugin broker's own signature, hence the timeout parameter.
    async def dial(self, broker_id: int, /, *, timeout: float = ...) -> grpc.aio.Channel: ...  # noqa: ASYNC109


class RequiredServices:
    """The plugin's ``requires`` services, each dialled at most once through the broker.

    A broker announcement can be consumed by only one dial and the host announces every
    service just before Init, so `start` dials them all in the background right away;
    `channel` and `dial` then return the shared connection.
    """

    def __init__(
        self,
        broker_ids: Mapping[str, int],
        broker: BrokerDialer | None,
        *,
        dial_timeout: float = 5.0,
    ) -> None:
        self._broker_ids = dict(broker_ids)
        self._broker = broker
        self._dial_timeout = dial_timeout
        self._dials: dict[str, asyncio.Task[grpc.aio.Channel]] = {}

    @classmethod
    def from_config(
        cls, required_services: Mapping[str, str], broker: BrokerDialer | None
    ) -> RequiredServices:
        """Parse ``ServiceConfig.required_services``; raises `BrokerServiceError`."""
        return cls(parse_broker_services(required_services), broker)

    @property
    def broker_ids(self) -> Mapping[str, int]:
        """Service name → broker ID, as parsed from the Init request."""
        return dict(self._broker_ids)

    def __contains__(self, name: object) -> bool:
        return name in self._broker_ids

    def start(self) -> None:
        """Begin dialling every service in the background (idempotent)."""
        for name in self._broker_ids:
            self._dial_task(name)

    async def channel(self, name: str) -> grpc.aio.Channel:
        """The shared channel to `name`; raises `BrokerServiceError` or `PluginError`."""
        if name not in self._broker_ids:
            raise _not_found(name)
        # shield: a caller that gives up must not cancel the dial other callers share.
        return await asyncio.shield(self._dial_task(name))

    async def dial(self, name: str, stub_type: Callable[[grpc.aio.Channel], S]) -> S:
        """A typed client for `name`, e.g. ``await services.dial(WORLD, WorldServiceStub)``."""
        return stub_type(await self.channel(name))

    async def close(self) -> None:
        """Close every channel that was opened."""
        tasks, self._dials = list(self._dials.values()), {}
        for task in tasks:
            if not task.done():
                task.cancel()
                continue
            if not task.cancelled() and task.exception() is None:
                await task.result().close(None)

    def _dial_task(self, name: str) -> asyncio.Task[grpc.aio.Channel]:
        task = self._dials.get(name)
        if task is None:
            task = asyncio.create_task(self._dial(name), name=f"dial {name}")
            task.add_done_callback(_consume_exception)
            self._dials[name] = task
        return task

    async def _dial(self, name: str) -> grpc.aio.Channel:
        if self._broker is None:
            raise PluginError("plugin host broker is not configured")
        broker_id = self._broker_ids[name]
        try:
            return await self._broker.dial(broker_id, timeout=self._dial_timeout)
        except Exception as exc:
            raise PluginError(
                f"dial {name} (broker:{broker_id}): {exc}", code="PLUGIN_SERVICE_DIAL_FAILED"
            ) from exc


def _consume_exception(task: asyncio.Task[grpc.aio.Channel]) -> None:
    # Background dials nobody awaited yet must not log "exception was never retrieved";
    # the error is re-raised to whoever asks for the channel.
    if not task.cancelled() and (exc := task.exception()) is not None:
        _log.debug("background dial failed: %s", exc)
