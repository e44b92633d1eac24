"""Locations, characters and exits: the data behind WorldService (reference §1.6) and the
thin host's guests, ``look`` and movement (§8)."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from holomush_host.data.connection import HostConnection, HostPool, pooled
from holomush_host.data.errors import ConflictError, DataErrorCode, InvalidInputError, NotFoundError
from holomush_host.data.ids import new_ulid
from holomush_host.data.validation import check_text, check_ulid

__all__ = [
    "DEFAULT_LOCATION_DESCRIPTION",
    "DEFAULT_LOCATION_NAME",
    "CharacterInfo",
    "ExitInfo",
    "LocationInfo",
    "LocationType",
    "WorldStore",
    "character_stream",
    "location_stream",
]

DEFAULT_LOCATION_NAME = "The Nexus"
DEFAULT_LOCATION_DESCRIPTION = (
    "A quiet crossroads between worlds. Soft light pools on a floor of worn stone, and"
    " paths lead off in every direction."
)
MAX_LOCATION_NAME = 200
MAX_CHARACTER_NAME = 64
MAX_EXIT_NAME = 64
MAX_DESCRIPTION = 4096
GUEST_PREFIX = "Guest-"
_CHARACTER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_'-]*")
_GUEST_ATTEMPTS = 20


class LocationType(enum.StrEnum):
    PERSISTENT = "persistent"
    SCENE = "scene"
    INSTANCE = "instance"


@dataclass(frozen=True, slots=True)
class LocationInfo:
    id: str
    name: str
    description: str
    type: LocationType
    owner_id: str
    """'' when the location has no owner."""


@dataclass(frozen=True, slots=True)
class CharacterInfo:
    id: str
    player_id: str
    name: str
    description: str
    location_id: str
    is_guest: bool = False


@dataclass(frozen=True, slots=True)
class ExitInfo:
    id: str
    name: str
    from_location_id: str
    to_location_id: str
    bidirectional: bool
    return_name: str
    locked: bool


def location_stream(location_id: str) -> str:
    return f"location:{location_id}"


def character_stream(character_id: str) -> str:
    return f"character:{character_id}"


_LOCATION_COLUMNS = "id, name, description, type, owner_id"
_CHARACTER_COLUMNS = "id, player_id, name, description, location_id, is_guest"
_EXIT_COLUMNS = "id, name, from_location_id, to_location_id, bidirectional, return_name, locked"


class WorldStore:
    def __init__(self, pool: HostPool) -> None:
        self._pool = pool

    # -- locations ----------------------------------------------------------------------------

    async def ensure_default_location(
        self,
        name: str = DEFAULT_LOCATION_NAME,
        description: str = DEFAULT_LOCATION_DESCRIPTION,
    ) -> LocationInfo:
        """The arrival location, created on first use; later calls return the same one."""
        _check_location_fields(name, description)
        async with pooled(self._pool) as conn:
            await conn.execute(
                "INSERT INTO locations (id, name, description, is_default)"
                " VALUES (%s, %s, %s, TRUE)"
                " ON CONFLICT (is_default) WHERE is_default DO NOTHING",
                (new_ulid(), name, description),
            )
            cursor = await conn.execute(
                f"SELECT {_LOCATION_COLUMNS} FROM locations WHERE is_default"
            )
            row = await cursor.fetchone()
        assert row is not None
        return _location(row)

    async def default_location(self) -> LocationInfo:
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                f"SELECT {_LOCATION_COLUMNS} FROM locations WHERE is_default"
            )
            row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(DataErrorCode.LOCATION_NOT_FOUND, "no default location yet")
        return _location(row)

    async def create_location(
        self,
        name: str,
        description: str = "",
        *,
        type: LocationType = LocationType.PERSISTENT,
        owner_id: str | None = None,
    ) -> LocationInfo:
        _check_location_fields(name, description)
        location_type = _location_type(type)
        if owner_id is not None:
            check_ulid(owner_id, "owner_id")
        location_id = new_ulid()
        async with pooled(self._pool) as conn:
            await conn.execute(
                "INSERT INTO locations (id, name, description, type, owner_id)"
                " VALUES (%s, %s, %s, %s, %s)",
                (location_id, name, description, str(location_type), owner_id),
            )
        return LocationInfo(location_id, name, description, location_type, owner_id or "")

    async def get_location(self, location_id: str) -> LocationInfo:
        check_ulid(location_id, "location_id")
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                f"SELECT {_LOCATION_COLUMNS} FROM locations WHERE id = %s", (location_id,)
            )
            row = await cursor.fetchone()
        if row is None:
            raise _location_not_found(location_id)
        return _location(row)

    # -- characters ---------------------------------------------------------------------------

    async def create_character(
        self,
        player_id: str,
        name: str,
        location_id: str,
        description: str = "",
    ) -> CharacterInfo:
        """A named character at ``location_id``; ``CHARACTER_NAME_TAKEN`` if the name is used."""
        check_ulid(player_id, "player_id")
        _check_character_name(name)
        check_ulid(location_id, "location_id")
        check_text(
            description,
            "description",
            max_length=MAX_DESCRIPTION,
            allow_empty=True,
            single_line=False,
        )
        async with pooled(self._pool) as conn:
            return await _insert_character(
                conn, player_id, name, location_id, description, is_guest=False
            )

    async def create_guest_character(self, location_id: str | None = None) -> CharacterInfo:
        """A guest named ``Guest-<n>`` with the lowest free n, with a new player id.

        It starts at ``location_id`` or the default location.
        """
        async with pooled(self._pool) as conn:
            if location_id is None:
                cursor = await conn.execute("SELECT id FROM locations WHERE is_default")
                row = await cursor.fetchone()
                if row is None:
                    raise NotFoundError(
                        DataErrorCode.LOCATION_NOT_FOUND, "no default location for guests"
                    )
                location_id = str(row[0])
            check_ulid(location_id, "location_id")
            for _ in range(_GUEST_ATTEMPTS):
                number = await _lowest_free_guest_number(conn)
                try:
                    return await _insert_character(
                        conn,
                        new_ulid(),
                        f"{GUEST_PREFIX}{number}",
                        location_id,
                        "",
                        is_guest=True,
                    )
                except ConflictError:
                    continue  # another connection took that number first; pick again
        raise ConflictError(
            DataErrorCode.CHARACTER_NAME_TAKEN, "could not find a free guest name; try again"
        )

    async def delete_guest_character(self, character_id: str) -> bool:
        """Remove a guest (its name becomes free again); False if there was no such guest."""
        check_ulid(character_id, "character_id")
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                "DELETE FROM characters WHERE id = %s AND is_guest", (character_id,)
            )
            return cursor.rowcount == 1

    async def get_character(self, character_id: str) -> CharacterInfo:
        check_ulid(character_id, "character_id")
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                f"SELECT {_CHARACTER_COLUMNS} FROM characters WHERE id = %s", (character_id,)
            )
            row = await cursor.fetchone()
        if row is None:
            raise _character_not_found(character_id)
        return _character(row)

    async def find_character_by_name(self, name: str) -> CharacterInfo | None:
        """Case-insensitive lookup by name."""
        if not isinstance(name, str) or not name or len(name) > MAX_CHARACTER_NAME:
            return None
        async with pooled(self._pool) as conn:
            cursor = await conn.execute(
                f"SELECT {_CHARACTER_COLUMNS} FROM characters WHERE lower(name) = lower(%s)",
                (name,),
            )
            row = await cursor.fetchone()
        return None if row is None else _character(row)

    async def list_characters_at(
        self, location_id: str, *, connected_only: bool = False
    ) -> list[CharacterInfo]:
        """Characters at the location, by name; ``connected_only`` keeps those with an active
        session (what ``look`` shows)."""
        check_ulid(location_id, "location_id")
        connected = (
            " AND EXISTS (SELECT 1 FROM sessions s"
            " WHERE s.character_id = c.id AND s.status = 'active')"
            if connected_only
            else ""
        )
        async with pooled(self._pool) as conn:
            await _require_location(conn, location_id)
            cursor = await conn.execute(
                f"SELECT {_prefixed(_CHARACTER_COLUMNS, 'c')} FROM characters c"
                f" WHERE c.location_id = %s{connected} ORDER BY lower(c.name)",
                (location_id,),
            )
            rows = await cursor.fetchall()
        return [_character(row) for row in rows]

    async def move_character(self, character_id: str, to_location_id: str) -> tuple[str, str]:
        """Move a character; returns ``(from_location_id, to_location_id)``."""
        check_ulid(character_id, "character_id")
        check_ulid(to_location_id, "location_id")
        async with pooled(self._pool) as conn, conn.transaction():
            await _require_location(conn, to_location_id)
            cursor = await conn.execute(
                "SELECT location_id FROM characters WHERE id = %s FOR UPDATE", (character_id,)
            )
            row = await cursor.fetchone()
            if row is None:
                raise _character_not_found(character_id)
            await conn.execute(
                "UPDATE characters SET location_id = %s WHERE id = %s",
                (to_location_id, character_id),
            )
        return str(row[0]), to_location_id

    # -- exits --------------------------------------------------------------------------------

    async def create_exit(
        self,
        from_location_id: str,
        to_location_id: str,
        name: str,
        *,
        bidirectional: bool = False,
        return_name: str = "",
        locked: bool = False,
    ) -> ExitInfo:
        """An exit; a bidirectional one needs the ``return_name`` used from the far side."""
        check_ulid(from_location_id, "from_location_id")
        check_ulid(to_location_id, "to_location_id")
        check_text(name, "exit name", max_length=MAX_EXIT_NAME)
        check_text(return_name, "return_name", max_length=MAX_EXIT_NAME, allow_empty=True)
        if bidirectional and not return_name:
            raise InvalidInputError("a bidirectional exit needs a return_name")
        exit_id = new_ulid()
        async with pooled(self._pool) as conn, conn.transaction():
            await _require_location(conn, from_location_id)
            await _require_location(conn, to_location_id)
            try:
                async with conn.transaction():
                    await conn.execute(
                        "INSERT INTO exits (id, name, from_location_id, to_location_id,"
                        " bidirectional, return_name, locked) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        (
                            exit_id,
                            name,
                            from_location_id,
                            to_location_id,
                            bidirectional,
                            return_name,
                            locked,
                        ),
                    )
            except psycopg.errors.UniqueViolation:
                raise ConflictError(
                    DataErrorCode.EXIT_NAME_TAKEN,
                    f"location {from_location_id} already has an exit named {name!r}",
                ) from None
        return ExitInfo(
            exit_id, name, from_location_id, to_location_id, bidirectional, return_name, locked
        )

    async def list_exits(self, location_id: str) -> list[ExitInfo]:
        """Exits leaving the location: its own, and bidirectional ones that arrive here
        (for those, ``return_name`` is the name to use from this side)."""
        check_ulid(location_id, "location_id")
        async with pooled(self._pool) as conn:
            await _require_location(conn, location_id)
            cursor = await conn.execute(
                f"SELECT {_EXIT_COLUMNS} FROM exits"
                " WHERE from_location_id = %s OR (bidirectional AND to_location_id = %s)"
                " ORDER BY lower(name), id",
                (location_id, location_id),
            )
            rows = await cursor.fetchall()
        return [_exit(row) for row in rows]


async def _insert_character(
    conn: HostConnection,
    player_id: str,
    name: str,
    location_id: str,
    description: str,
    *,
    is_guest: bool,
) -> CharacterInfo:
    character_id = new_ulid()
    try:
        async with conn.transaction():
            await _require_location(conn, location_id)
            await conn.execute(
                "INSERT INTO characters (id, player_id, name, description, location_id, is_guest)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (character_id, player_id, name, description, location_id, is_guest),
            )
    except psycopg.errors.UniqueViolation:
        raise ConflictError(
            DataErrorCode.CHARACTER_NAME_TAKEN, f"the name {name!r} is already taken"
        ) from None
    return CharacterInfo(character_id, player_id, name, description, location_id, is_guest)


async def _lowest_free_guest_number(conn: HostConnection) -> int:
    cursor = await conn.execute(
        "SELECT n FROM generate_series(1, (SELECT count(*) + 1 FROM characters)) AS n"
        " WHERE NOT EXISTS (SELECT 1 FROM characters WHERE lower(name) = lower(%s || n))"
        " ORDER BY n LIMIT 1",
        (GUEST_PREFIX,),
    )
    row = await cursor.fetchone()
    assert row is not None  # count + 1 candidates for at most count taken names
    return int(row[0])


async def _require_location(conn: HostConnection, location_id: str) -> None:
    cursor = await conn.execute("SELECT 1 FROM locations WHERE id = %s", (location_id,))
    if await cursor.fetchone() is None:
        raise _location_not_found(location_id)


def _check_location_fields(name: str, description: str) -> None:
    check_text(name, "location name", max_length=MAX_LOCATION_NAME)
    check_text(
        description, "description", max_length=MAX_DESCRIPTION, allow_empty=True, single_line=False
    )


def _check_character_name(name: str) -> None:
    check_text(name, "character name", max_length=MAX_CHARACTER_NAME)
    if not _CHARACTER_NAME.fullmatch(name):
        raise InvalidInputError(
            "character name must start with a letter and contain only letters, digits, _ ' -"
        )


def _location_type(value: object) -> LocationType:
    try:
        return LocationType(value if isinstance(value, str) else "")
    except ValueError:
        raise InvalidInputError(
            f"location type must be one of {', '.join(t.value for t in LocationType)}"
        ) from None


def _prefixed(columns: str, alias: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in columns.split(","))


def _location(row: Sequence[Any]) -> LocationInfo:
    return LocationInfo(row[0], row[1], row[2], LocationType(row[3]), row[4] or "")


def _character(row: Sequence[Any]) -> CharacterInfo:
    return CharacterInfo(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


def _exit(row: Sequence[Any]) -> ExitInfo:
    return ExitInfo(row[0], row[1], row[2], row[3], bool(row[4]), row[5], bool(row[6]))


def _location_not_found(location_id: str) -> NotFoundError:
    return NotFoundError(DataErrorCode.LOCATION_NOT_FOUND, f"location {location_id} not found")


def _character_not_found(character_id: str) -> NotFoundError:
    return NotFoundError(DataErrorCode.CHARACTER_NOT_FOUND, f"character {character_id} not found")
