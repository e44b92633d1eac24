"""The interfaces a plugin implements. Only `Handler` is required; the SDK detects the
others on your object at run time (``isinstance`` against these runtime-checkable
Protocols). Every method may be ``async def`` (preferred) or a plain ``def``, which the SDK
runs in a worker thread so it cannot stall the event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Protocol, TypeAlias, TypeVar, runtime_checkable

import grpc

from holomush_sdk.commands import CommandRequest, CommandResponse
from holomush_sdk.config import ServiceConfig
from holomush_sdk.events import EmitEvent, Event

__all__ = [
    "CommandHandler",
    "Handler",
    "Initializer",
    "MaybeAwaitable",
    "ServiceProvider",
    "SessionStreamsProvider",
]

T = TypeVar("T")
MaybeAwaitable: TypeAlias = T | Awaitable[T]


@runtime_checkable
class Handler(Protocol):
    """Required. Receives the events the plugin subscribed to and returns events to emit."""

    def handle_event(self, event: Event) -> MaybeAwaitable[Sequence[EmitEvent] | None]: ...


@runtime_checkable
class CommandHandler(Protocol):
    """Optional, on the handler object: handles the commands declared in the manifest.

    Without it a command gets an empty response (status OK, no output)."""

    def handle_command(self, request: CommandRequest) -> MaybeAwaitable[CommandResponse | None]: ...


@runtime_checkable
class Initializer(Protocol):
    """`init` runs once when the host sends Init, after EventSink / FocusClient injection.

    Raising fails the plugin's load; the host shows the message (and ``code`` of a
    `PluginError`)."""

    def init(self, config: ServiceConfig) -> MaybeAwaitable[None]: ...


@runtime_checkable
class ServiceProvider(Initializer, Protocol):
    """For `serve_with_services`: register gRPC services, then receive Init.

    `register_services` runs while the gRPC server is set up, *before* Init: pre-allocate
    your servicer objects in ``__init__`` and wire storage into them in `init`."""

    def register_services(self, registrar: grpc.aio.Server) -> MaybeAwaitable[None]: ...


@runtime_checkable
class SessionStreamsProvider(Protocol):
    """Optional (manifest ``session_streams: true``): extra streams to subscribe a session
    to when it is established. Raising reports the error to the host, which skips them."""

    def query_session_streams(
        self, character_id: str, player_id: str, session_id: str
    ) -> MaybeAwaitable[Sequence[str]]: ...
