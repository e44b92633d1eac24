"""Helpers for the dispatch tests: a scripted plugin manager and a wired dispatcher."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from holomush_host.commands.registry import CommandRegistry
from holomush_host.data.event_types import StoredEvent
from holomush_host.data.host_data import HostData
from holomush_host.data.world import character_stream
from holomush_host.dispatch.authorization import HostAuthorization
from holomush_host.dispatch.builtins import HostCommands, register_builtins
from holomush_host.dispatch.dispatcher import CommandDispatcher
from holomush_host.dispatch.player import PlayerContext
from holomush_host.manifest.model import Manifest
from holomush_host.manifest.parse import parse_manifest
from holomush_sdk.commands import CommandRequest, CommandResponse


def repo_file(relative: str) -> Path:
    """A file of the repository, found from this file upwards (works in a Pants sandbox)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / relative
        if candidate.exists():
            return candidate
    raise FileNotFoundError(relative)


def core_scenes_manifest() -> Manifest:
    return parse_manifest(repo_file("plugins/core_scenes/plugin.yaml"))


Reply = (
    CommandResponse
    | Exception
    | Callable[[CommandRequest], CommandResponse | Awaitable[CommandResponse]]
)


@dataclass
class ScriptedPlugins:
    """Stands in for the plugin manager: answers commands from a script."""

    replies: dict[str, Reply] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Mapping[str, object]] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)
    requests: list[tuple[str, CommandRequest, float]] = field(default_factory=list)
    attribute_calls: list[tuple[str, str]] = field(default_factory=list)

    def loaded(self) -> frozenset[str]:
        return frozenset(self.running)

    async def handle_command(
        self,
        plugin: str,
        request: CommandRequest,
        *,
        timeout: float,  # noqa: ASYNC109 - the manager's signature
    ) -> CommandResponse:
        self.requests.append((plugin, request, timeout))
        reply = self.replies[request.command]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            result = reply(request)
            return await result if inspect.isawaitable(result) else result
        return reply

    async def resolve_attributes(
        self, resource_type: str, resource_id: str
    ) -> Mapping[str, object] | None:
        self.attribute_calls.append((resource_type, resource_id))
        return self.attributes.get((resource_type, resource_id))


@dataclass
class Wired:
    data: HostData
    plugins: ScriptedPlugins
    registry: CommandRegistry
    authorization: HostAuthorization
    dispatcher: CommandDispatcher
    manifests: dict[str, Manifest]

    def add_plugin(
        self, manifest: Manifest, schemas: Mapping[str, Collection[str]] | None = None
    ) -> None:
        self.authorization.install_plugin(manifest, schemas)
        self.registry.register_plugin(manifest)
        self.manifests[manifest.name] = manifest
        self.plugins.running.add(manifest.name)


def wire(data: HostData, plugins: ScriptedPlugins | None = None) -> Wired:
    plugins = plugins or ScriptedPlugins()
    registry = CommandRegistry()
    register_builtins(registry)
    authorization = HostAuthorization(data.world, data.sessions, plugins, plugins.loaded)
    manifests: dict[str, Manifest] = {}
    dispatcher = CommandDispatcher(
        registry=registry,
        builtins=HostCommands(data.events, data.world, data.sessions, registry),
        engine=authorization.engine,
        attributes=authorization.attributes,
        plugins=plugins,
        events=data.events,
        sessions=data.sessions,
    )
    return Wired(data, plugins, registry, authorization, dispatcher, manifests)


async def new_player(data: HostData) -> PlayerContext:
    character = await data.world.create_guest_character()
    session = await data.sessions.create_session(character.id)
    return PlayerContext(
        session_id=session.id,
        character_id=character.id,
        character_name=character.name,
        player_id=character.player_id,
        location_id=character.location_id,
    )


async def events_of(data: HostData, stream: str) -> list[StoredEvent]:
    return await data.events.replay(stream, limit=1000)


async def shown(data: HostData, player: PlayerContext) -> list[tuple[str, str]]:
    """(type, text) of every command answer written to the player's character stream."""
    return [
        (event.type, json.loads(event.payload)["text"])
        for event in await events_of(data, character_stream(player.character_id))
    ]
