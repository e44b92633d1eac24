"""WorldService over the real data layer, called through a real gRPC channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import grpc.aio
import pytest
import pytest_asyncio

from holomush.world.v1 import world_pb2, world_pb2_grpc
from holomush_host.data.host_data import HostData
from holomush_host.data.ids import new_ulid
from holomush_host.data.world import CharacterInfo, LocationInfo
from holomush_host.services.world import WorldServicer, add_world_service

pytestmark = pytest.mark.asyncio(loop_scope="module")

DENIED_SUBJECT = "01J0Z3V6Q2Y8K7M4N5P6R7S8DD"


@dataclass
class World:
    stub: world_pb2_grpc.WorldServiceAsyncStub
    here: LocationInfo
    there: LocationInfo
    alice: CharacterInfo
    checks: list[tuple[str, str, str]]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(postgres_dsn: str) -> AsyncIterator[World]:
    data = await HostData.open(postgres_dsn, min_connections=1, max_connections=4)
    checks: list[tuple[str, str, str]] = []

    async def authorize(subject: str, action: str, resource: str) -> bool:
        checks.append((subject, action, resource))
        return subject != f"character:{DENIED_SUBJECT}"

    server = grpc.aio.server()
    add_world_service(WorldServicer(data.world, authorize=authorize), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    here = await data.world.default_location()
    there = await data.world.create_location("The Garden", "Roses.")
    await data.world.create_exit(
        here.id, there.id, "garden", bidirectional=True, return_name="nexus"
    )
    alice = await data.world.create_guest_character(here.id)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield World(world_pb2_grpc.WorldServiceStub(channel), here, there, alice, checks)
    finally:
        await server.stop(None)
        await data.close()


async def test_get_location(world: World) -> None:
    reply = await world.stub.GetLocation(
        world_pb2.GetLocationRequest(subject_id=world.alice.id, location_id=world.there.id)
    )
    assert reply.location == world_pb2.LocationInfo(
        id=world.there.id, name="The Garden", description="Roses.", type="persistent"
    )
    assert world.checks[-1] == (f"character:{world.alice.id}", "read", f"location:{world.there.id}")


async def test_get_character_and_list_at_location(world: World) -> None:
    character = await world.stub.GetCharacter(
        world_pb2.GetCharacterRequest(subject_id=world.alice.id, character_id=world.alice.id)
    )
    assert character.character.name == world.alice.name
    assert character.character.location_id == world.here.id
    present = await world.stub.ListCharactersAtLocation(
        world_pb2.ListCharactersAtLocationRequest(
            subject_id=world.alice.id, location_id=world.here.id
        )
    )
    assert world.alice.id in [c.id for c in present.characters]


async def test_list_exits(world: World) -> None:
    reply = await world.stub.ListExits(
        world_pb2.ListExitsRequest(subject_id=world.alice.id, location_id=world.there.id)
    )
    [exit_] = reply.exits
    assert (exit_.name, exit_.return_name, exit_.bidirectional) == ("garden", "nexus", True)


@pytest.mark.parametrize(
    ("request_", "code", "details"),
    [
        (
            world_pb2.GetLocationRequest(subject_id="s", location_id="nope"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "invalid location_id: 'nope' is not a ULID",
        ),
        (
            world_pb2.GetLocationRequest(subject_id="s", location_id=new_ulid()),
            grpc.StatusCode.NOT_FOUND,
            "not found",
        ),
        (
            world_pb2.GetLocationRequest(location_id=new_ulid()),
            grpc.StatusCode.INVALID_ARGUMENT,
            "request validation failed: subject_id: value length must be at least 1 characters",
        ),
        (
            world_pb2.GetLocationRequest(subject_id=DENIED_SUBJECT, location_id=new_ulid()),
            grpc.StatusCode.PERMISSION_DENIED,
            "access denied",
        ),
    ],
)
async def test_errors_follow_the_reference_mapping(
    world: World, request_: world_pb2.GetLocationRequest, code: grpc.StatusCode, details: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await world.stub.GetLocation(request_)
    assert (caught.value.code(), caught.value.details()) == (code, details)


async def test_unknown_character_and_malformed_ids(world: World) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await world.stub.GetCharacter(
            world_pb2.GetCharacterRequest(subject_id="s", character_id=new_ulid())
        )
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await world.stub.ListExits(world_pb2.ListExitsRequest(subject_id="s", location_id="x"))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert (caught.value.details() or "").startswith("invalid location_id: ")
