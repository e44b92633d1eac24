"""``holomush.world.v1.WorldService``: read-only world queries over the host's data layer.

Served to plugins that ``require`` it (on their broker) and on the host's public gRPC port.
Errors follow reference §1.6: a malformed id is INVALID_ARGUMENT ``invalid <field>: …``;
a missing entity NOT_FOUND ``not found``; a refused subject PERMISSION_DENIED ``access
denied``; anything else INTERNAL ``internal error`` (and a log line with the cause).

``subject_id`` is the character on whose behalf the query is made. With an ``authorize``
callback the host asks it ``(subject "character:<id>", "read", resource)`` first, resource
being ``location:<id>`` or ``character:<id>``; without one every query is answered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

import grpc
from google.protobuf.message import Message

from holomush.world.v1 import world_pb2, world_pb2_grpc
from holomush_host.data.errors import DataError, InvalidInputError, NotFoundError
from holomush_host.data.world import CharacterInfo, ExitInfo, LocationInfo, WorldStore
from holomush_sdk.validation import Rule, RuleRegistry, RuleValidator, ValidationError

__all__ = ["WORLD_RULES", "WorldAuthorizer", "WorldServicer", "add_world_service"]

Context = grpc.aio.ServicerContext[Any, Any]

WorldAuthorizer = Callable[[str, str, str], Awaitable[bool]]
"""``(subject, action, resource) -> allowed``, e.g. a policy engine check."""

_REQUIRED = Rule(min_len=1)
WORLD_RULES = RuleRegistry()
WORLD_RULES.register(
    world_pb2.GetLocationRequest, {"subject_id": _REQUIRED, "location_id": _REQUIRED}
)
WORLD_RULES.register(
    world_pb2.GetCharacterRequest, {"subject_id": _REQUIRED, "character_id": _REQUIRED}
)
for _request in (world_pb2.ListCharactersAtLocationRequest, world_pb2.ListExitsRequest):
    WORLD_RULES.register(_request, {"subject_id": _REQUIRED, "location_id": _REQUIRED})

_log = logging.getLogger(__name__)


class _AccessDenied(Exception):
    pass


class WorldServicer(world_pb2_grpc.WorldServiceServicer):
    def __init__(self, world: WorldStore, *, authorize: WorldAuthorizer | None = None) -> None:
        self._world = world
        self._authorize = authorize
        self._validator = RuleValidator(WORLD_RULES)

    async def GetLocation(
        self, request: world_pb2.GetLocationRequest, context: Context
    ) -> world_pb2.GetLocationResponse:
        try:
            await self._check(request, request.subject_id, f"location:{request.location_id}")
            location = await self._world.get_location(request.location_id)
        except Exception as exc:
            await _fail(context, exc, "GetLocation")
        return world_pb2.GetLocationResponse(location=_location(location))

    async def GetCharacter(
        self, request: world_pb2.GetCharacterRequest, context: Context
    ) -> world_pb2.GetCharacterResponse:
        try:
            await self._check(request, request.subject_id, f"character:{request.character_id}")
            character = await self._world.get_character(request.character_id)
        except Exception as exc:
            await _fail(context, exc, "GetCharacter")
        return world_pb2.GetCharacterResponse(character=_character(character))

    async def ListCharactersAtLocation(
        self, request: world_pb2.ListCharactersAtLocationRequest, context: Context
    ) -> world_pb2.ListCharactersAtLocationResponse:
        try:
            await self._check(request, request.subject_id, f"location:{request.location_id}")
            characters = await self._world.list_characters_at(request.location_id)
        except Exception as exc:
            await _fail(context, exc, "ListCharactersAtLocation")
        return world_pb2.ListCharactersAtLocationResponse(
            characters=[_character(character) for character in characters]
        )

    async def ListExits(
        self, request: world_pb2.ListExitsRequest, context: Context
    ) -> world_pb2.ListExitsResponse:
        try:
            await self._check(request, request.subject_id, f"location:{request.location_id}")
            exits = await self._world.list_exits(request.location_id)
        except Exception as exc:
            await _fail(context, exc, "ListExits")
        return world_pb2.ListExitsResponse(exits=[_exit(exit_) for exit_ in exits])

    async def _check(self, request: Message, subject_id: str, resource: str) -> None:
        self._validator.validate(request)
        if self._authorize is not None and not await self._authorize(
            f"character:{subject_id}", "read", resource
        ):
            raise _AccessDenied(resource)


async def _fail(context: Context, exc: Exception, rpc: str) -> NoReturn:
    if isinstance(exc, ValidationError):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"request validation failed: {exc}")
    if isinstance(exc, InvalidInputError):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, exc.message)
    code = exc.code if isinstance(exc, DataError) else ""
    if isinstance(exc, NotFoundError) or code.endswith("_NOT_FOUND"):
        await context.abort(grpc.StatusCode.NOT_FOUND, "not found")
    if isinstance(exc, _AccessDenied) or code.endswith("_ACCESS_DENIED"):
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, "access denied")
    _log.error("WorldService.%s failed", rpc, exc_info=exc)
    await context.abort(grpc.StatusCode.INTERNAL, "internal error")


def _location(info: LocationInfo) -> world_pb2.LocationInfo:
    return world_pb2.LocationInfo(
        id=info.id,
        name=info.name,
        description=info.description,
        type=str(info.type),
        owner_id=info.owner_id,
    )


def _character(info: CharacterInfo) -> world_pb2.CharacterInfo:
    return world_pb2.CharacterInfo(
        id=info.id,
        player_id=info.player_id,
        name=info.name,
        description=info.description,
        location_id=info.location_id,
    )


def _exit(info: ExitInfo) -> world_pb2.ExitInfo:
    return world_pb2.ExitInfo(
        id=info.id,
        name=info.name,
        from_location_id=info.from_location_id,
        to_location_id=info.to_location_id,
        bidirectional=info.bidirectional,
        return_name=info.return_name,
        locked=info.locked,
    )


def add_world_service(servicer: WorldServicer, server: grpc.aio.Server) -> None:
    world_pb2_grpc.add_WorldServiceServicer_to_server(servicer, server)
