"""WorldStore: locations, characters (guests included), exits, movement."""

from __future__ import annotations

import asyncio

import pytest

from holomush_host.data.connection import HostPool
from holomush_host.data.errors import (
    ConflictError,
    DataErrorCode,
    InvalidInputError,
    NotFoundError,
    StoreUnavailableError,
)
from holomush_host.data.ids import new_ulid
from holomush_host.data.sessions import SessionStore
from holomush_host.data.world import (
    DEFAULT_LOCATION_NAME,
    LocationType,
    WorldStore,
    character_stream,
    location_stream,
)


@pytest.fixture
def world(pool: HostPool) -> WorldStore:
    return WorldStore(pool)


async def table_count(pool: HostPool, table: str) -> int:
    async with pool.connection() as conn:
        cursor = await conn.execute(f"SELECT count(*) FROM {table}")  # test-only, fixed names
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def test_default_location_is_created_once(world: WorldStore, pool: HostPool) -> None:
    with pytest.raises(NotFoundError) as missing:
        await world.default_location()
    assert missing.value.code == DataErrorCode.LOCATION_NOT_FOUND

    first, second = await asyncio.gather(
        world.ensure_default_location(), world.ensure_default_location()
    )
    assert first == second == await world.default_location()
    assert first.name == DEFAULT_LOCATION_NAME
    assert first.type is LocationType.PERSISTENT
    assert first.owner_id == ""
    assert await world.ensure_default_location("Other name") == first
    assert await table_count(pool, "locations") == 1


async def test_locations_round_trip_and_validate(world: WorldStore, pool: HostPool) -> None:
    owner = new_ulid()
    made = await world.create_location(
        "Tea House", "Steam.\nCups.", type=LocationType.SCENE, owner_id=owner
    )
    assert await world.get_location(made.id) == made
    assert made.owner_id == owner
    assert made.type is LocationType.SCENE

    with pytest.raises(InvalidInputError, match="invalid location_id"):
        await world.get_location("nope")
    with pytest.raises(NotFoundError, match="not found") as missing:
        await world.get_location(new_ulid())
    assert missing.value.code == DataErrorCode.LOCATION_NOT_FOUND
    bad_arguments: list[tuple[tuple[str, ...], dict[str, str]]] = [
        (("",), {}),
        ((" padded ",), {}),
        (("x" * 201,), {}),
        (("Ok", "bad\x00"), {}),
        (("Ok",), {"type": "castle"}),
        (("Ok",), {"owner_id": "someone"}),
    ]
    for args, kwargs in bad_arguments:
        with pytest.raises(InvalidInputError):
            await world.create_location(*args, **kwargs)  # type: ignore[arg-type]
    assert await table_count(pool, "locations") == 1


async def test_guests_get_the_lowest_free_number(world: WorldStore) -> None:
    nexus = await world.ensure_default_location()
    guests = [await world.create_guest_character() for _ in range(3)]
    assert [g.name for g in guests] == ["Guest-1", "Guest-2", "Guest-3"]
    assert all(g.is_guest and g.location_id == nexus.id for g in guests)
    assert len({g.player_id for g in guests}) == 3

    assert await world.delete_guest_character(guests[1].id)
    assert not await world.delete_guest_character(guests[1].id)
    assert (await world.create_guest_character()).name == "Guest-2"
    assert (await world.create_guest_character()).name == "Guest-4"


async def test_concurrent_guests_get_distinct_names(world: WorldStore) -> None:
    await world.ensure_default_location()
    guests = await asyncio.gather(*(world.create_guest_character() for _ in range(12)))
    assert sorted(g.name for g in guests) == sorted(f"Guest-{n}" for n in range(1, 13))


async def test_guest_numbers_skip_names_players_took(world: WorldStore) -> None:
    nexus = await world.ensure_default_location()
    await world.create_character(new_ulid(), "guest-1", nexus.id)
    assert (await world.create_guest_character()).name == "Guest-2"


async def test_guest_needs_a_location(world: WorldStore) -> None:
    with pytest.raises(NotFoundError, match="no default location"):
        await world.create_guest_character()
    with pytest.raises(NotFoundError) as missing:
        await world.create_guest_character(new_ulid())
    assert missing.value.code == DataErrorCode.LOCATION_NOT_FOUND


async def test_characters_have_unique_names_ignoring_case(
    world: WorldStore, pool: HostPool
) -> None:
    nexus = await world.ensure_default_location()
    alice = await world.create_character(new_ulid(), "Alice", nexus.id, "A traveller.")
    assert await world.get_character(alice.id) == alice
    assert await world.find_character_by_name("ALICE") == alice
    assert await world.find_character_by_name("Bob") is None

    with pytest.raises(ConflictError) as taken:
        await world.create_character(new_ulid(), "alice", nexus.id)
    assert taken.value.code == DataErrorCode.CHARACTER_NAME_TAKEN
    for name in ("", "1abc", "has space", "x" * 65, "Tab\there"):
        with pytest.raises(InvalidInputError):
            await world.create_character(new_ulid(), name, nexus.id)
    with pytest.raises(InvalidInputError, match="invalid player_id"):
        await world.create_character("p1", "Carol", nexus.id)
    with pytest.raises(NotFoundError):
        await world.create_character(new_ulid(), "Carol", new_ulid())
    with pytest.raises(NotFoundError) as missing:
        await world.get_character(new_ulid())
    assert missing.value.code == DataErrorCode.CHARACTER_NOT_FOUND
    assert await table_count(pool, "characters") == 1


async def test_moving_and_listing_characters(world: WorldStore, pool: HostPool) -> None:
    nexus = await world.ensure_default_location()
    garden = await world.create_location("Garden")
    bob = await world.create_character(new_ulid(), "Bob", nexus.id)
    alice = await world.create_character(new_ulid(), "alice", nexus.id)
    assert [c.name for c in await world.list_characters_at(nexus.id)] == ["alice", "Bob"]

    assert await world.move_character(bob.id, garden.id) == (nexus.id, garden.id)
    assert (await world.get_character(bob.id)).location_id == garden.id
    assert await world.list_characters_at(garden.id) == [await world.get_character(bob.id)]

    with pytest.raises(NotFoundError) as no_place:
        await world.move_character(bob.id, new_ulid())
    assert no_place.value.code == DataErrorCode.LOCATION_NOT_FOUND
    with pytest.raises(NotFoundError) as no_one:
        await world.move_character(new_ulid(), garden.id)
    assert no_one.value.code == DataErrorCode.CHARACTER_NOT_FOUND
    assert (await world.get_character(bob.id)).location_id == garden.id
    with pytest.raises(NotFoundError):
        await world.list_characters_at(new_ulid())

    # look/who: only characters with an active session.
    sessions = SessionStore(pool)
    assert await world.list_characters_at(nexus.id, connected_only=True) == []
    await sessions.create_session(alice.id)
    assert [c.id for c in await world.list_characters_at(nexus.id, connected_only=True)] == [
        alice.id
    ]


async def test_exits(world: WorldStore, pool: HostPool) -> None:
    nexus = await world.ensure_default_location()
    garden = await world.create_location("Garden")
    cellar = await world.create_location("Cellar")
    north = await world.create_exit(
        nexus.id, garden.id, "north", bidirectional=True, return_name="south"
    )
    down = await world.create_exit(nexus.id, cellar.id, "down", locked=True)

    assert await world.list_exits(nexus.id) == [down, north]
    assert await world.list_exits(garden.id) == [north]  # arrives here, usable as "south"
    assert await world.list_exits(cellar.id) == []  # one-way

    with pytest.raises(ConflictError) as taken:
        await world.create_exit(nexus.id, cellar.id, "NORTH")
    assert taken.value.code == DataErrorCode.EXIT_NAME_TAKEN
    with pytest.raises(InvalidInputError, match="return_name"):
        await world.create_exit(nexus.id, cellar.id, "east", bidirectional=True)
    with pytest.raises(NotFoundError):
        await world.create_exit(nexus.id, new_ulid(), "west")
    with pytest.raises(InvalidInputError, match="invalid from_location_id"):
        await world.create_exit("x", cellar.id, "west")
    with pytest.raises(NotFoundError):
        await world.list_exits(new_ulid())
    assert await table_count(pool, "exits") == 2


async def test_a_lost_database_is_reported_as_unavailable(
    world: WorldStore, pool: HostPool
) -> None:
    await pool.close()
    with pytest.raises(StoreUnavailableError, match="unavailable"):
        await world.get_location(new_ulid())


def test_stream_names() -> None:
    assert location_stream("01J0Z3V6Q2Y8K7M4N5P6R7S8AA") == "location:01J0Z3V6Q2Y8K7M4N5P6R7S8AA"
    assert character_stream("X") == "character:X"
