"""The core-scenes plugin object: what `main` hands to the SDK.

It is the Handler (events: none needed), CommandHandler (``scene`` and ``scenes``),
ServiceProvider (SceneService), EventSinkAware, FocusClientAware and
AttributeResolverProvider (``scene`` resources). As the SDK requires, the servicer and
resolver exist from construction; Init opens the store and wires it in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import grpc

from core_scenes.browse import browse_scenes
from core_scenes.commands import SceneCommands
from core_scenes.errors import SceneError, SceneErrorCode
from core_scenes.resolver import SceneResolver
from core_scenes.service import SceneService
from core_scenes.servicer import add_scene_servicer_to_server
from core_scenes.store import SceneStore
from holomush_sdk import (
    AttributeResolver,
    CommandRequest,
    CommandResponse,
    EmitEvent,
    Event,
    EventSink,
    FocusClient,
    ServiceConfig,
    errorf,
)

__all__ = ["ScenePlugin"]

_log = logging.getLogger("core_scenes")


class ScenePlugin:
    def __init__(self, store: SceneStore | None = None) -> None:
        self.service = SceneService(store)
        self.focus: FocusClient | None = None
        self.commands = SceneCommands(self.service, lambda: self.focus)
        self.resolver = SceneResolver(lambda: self.service.store)

    # Handler / CommandHandler

    async def handle_event(self, event: Event) -> Sequence[EmitEvent]:
        return ()

    async def handle_command(self, request: CommandRequest) -> CommandResponse:
        if request.command == "scene":
            return await self.commands.handle(request)
        if request.command == "scenes":
            return await browse_scenes(self.service, request)
        return errorf('core-scenes does not handle command "%s"', request.command)

    # ServiceProvider

    def register_services(self, registrar: grpc.aio.Server) -> None:
        add_scene_servicer_to_server(self.service, registrar)

    async def init(self, config: ServiceConfig) -> None:
        if not config.connection_string:
            raise SceneError(
                SceneErrorCode.INIT_FAILED,
                "connection_string is required",
                status=grpc.StatusCode.FAILED_PRECONDITION,
            )
        # Imported here, not at start-up: psycopg and the migration runner are ~40% of the
        # plugin's import time, and the host waits for the handshake before it sends Init.
        from core_scenes.pg_store import open_scene_store
        from holomush_sdk.storage import StorageError

        try:
            store = await open_scene_store(config.connection_string)
        except StorageError as err:
            raise SceneError(
                SceneErrorCode.INIT_FAILED,
                f"cannot open the scene store: {err}",
                status=err.status,
            ) from err
        previous, self.service.store = self.service.store, store
        if previous is not None:  # a second Init replaces the first one's pool
            await previous.close()
        _log.info("core-scenes initialised")

    async def close(self) -> None:
        if self.service.store is not None:
            await self.service.store.close()
            self.service.store = None

    # Injected host clients

    def set_event_sink(self, sink: EventSink) -> None:
        self.service.sink = sink

    def set_focus_client(self, client: FocusClient) -> None:
        self.focus = client

    # AttributeResolverProvider

    def attribute_resolver(self) -> AttributeResolver:
        return self.resolver
