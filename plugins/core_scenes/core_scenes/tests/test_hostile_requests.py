"""Hostile input on every SceneService RPC, over real gRPC against real PostgreSQL.

For each RPC of the service, hypothesis builds requests from the protobuf descriptor (so a
field added to a request later is attacked too) in which any field may hold a hostile
value: empty, whitespace, 100 KB, NUL and other control characters, RTL overrides, emoji,
SQL and LIKE metacharacters, ids that are not ULIDs, ids of other characters' scenes,
extreme integers, unknown enum numbers, long or duplicated lists. Every call must either
succeed or fail with a client-error status and a short, specific message with no
traceback in it; and a failed call must leave every table of the plugin's schema exactly
as it was (no partial write).

The plugin is served as the SDK serves it (interceptors included) and initialised through
PluginService.Init; the caller sends the actor headers the host sends.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
import psycopg
import pytest
import pytest_asyncio
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from psycopg import sql

from core_scenes.model import UPDATE_PATHS, NewScene, Visibility
from core_scenes.plugin import ScenePlugin
from core_scenes.rules import SceneOp
from core_scenes.store import SceneStore
from core_scenes.tests.grpc_harness import serve_plugin
from holomush.plugin.v1 import plugin_pb2, plugin_pb2_grpc
from holomush.scene.v1 import scene_pb2
from holomush_sdk import ACTOR_ID_METADATA_KEY, ACTOR_KIND_METADATA_KEY
from holomush_sdk.storage.conninfo import libpq_conninfo

SERVICE = scene_pb2.DESCRIPTOR.services_by_name["SceneService"]
METHODS: dict[str, MethodDescriptor] = {m.name: m for m in SERVICE.methods}

CLIENT_ERRORS = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.OUT_OF_RANGE,
    }
)
# A rejection is read by a person: a few violations, not a dump of hundreds (and gRPC drops
# a status message over 16 KB, answering RESOURCE_EXHAUSTED instead).
MAX_MESSAGE_LENGTH = 2048
TRACEBACK_MARKERS = ("Traceback", 'File "', "Unexpected <class", "Exception calling application")

# --- the world every example starts from --------------------------------------------------

ALICE, BOB, CAROL, DAVE = "char-alice", "char-bob", "char-carol", "char-dave"
CHARACTERS = (ALICE, BOB, CAROL, DAVE)  # DAVE belongs to no scene
OPEN = "scene-01JHQSTL0PEN0000000000000A"
PRIVATE = "scene-01JHQSTLPR1VATE000000000B"
PAUSED = "scene-01JHQSTLPAVSED000000000C"
ENDED = "scene-01JHQSTLENDED0000000000D"
ARCHIVED = "scene-01JHQSTLARCH1VED00000000E"
MISSING = "scene-01ARZ3NDEKTSV4RRFFQ69G5FAV"  # well formed, never created
SCENES = (OPEN, PRIVATE, PAUSED, ENDED, ARCHIVED, MISSING)


async def seed(store: SceneStore) -> None:
    """Scenes of every state and visibility, owned by different characters, with members
    and invitees; DAVE is in none of them."""

    async def scene(scene_id: str, owner: str, visibility: Visibility = Visibility.OPEN) -> None:
        await store.create_with_owner(
            NewScene(
                id=scene_id,
                title=f"Seed {scene_id[-1]}",
                owner_id=owner,
                visibility=visibility,
                tags=("seed",),
                content_warnings=("Violence",),
                location_id="room-1",
            )
        )

    await scene(OPEN, ALICE)
    await store.join(OPEN, BOB, "Bob")
    await store.invite(OPEN, ALICE, CAROL)
    await scene(PRIVATE, ALICE, Visibility.PRIVATE)
    await store.invite(PRIVATE, ALICE, BOB)
    await scene(PAUSED, BOB)
    await store.join(PAUSED, ALICE, "Alice")
    await store.transition(PAUSED, SceneOp.PAUSE, BOB)
    await scene(ENDED, ALICE)
    await store.join(ENDED, BOB, "Bob")
    await store.transition(ENDED, SceneOp.END, ALICE)
    await store.cast_vote(ENDED, BOB, True)
    await scene(ARCHIVED, CAROL)
    await store.transition(ARCHIVED, SceneOp.END, CAROL)
    await store.transition(ARCHIVED, SceneOp.ARCHIVE, CAROL)


# --- hostile values -----------------------------------------------------------------------

SPECIAL_TEXT = (
    "",
    " ",
    " \t\r\n\u00a0\u2028\u3000",
    "\x00",
    "scene\x00-1",
    "\u202eevil\u202c",
    "\u200b",
    "\ufeff",
    "e\u0301",
    "\u0130",  # İ: lower-cases to two code points
    "\U0001f600\U0001f3f3\ufe0f\u200d\U0001f308",
    "\x1b[31mred\x1b[0m",
    "\x7f\x01\x02",
    "'; DROP TABLE scenes; --",
    "%",
    "_",
    "\\",
    "{a,b}",
    '"',
    "null",
    "scene-",
    "scene-%",
    MISSING.lower(),
    MISSING.upper().replace("SCENE", "scene") + " ",
    "../../etc/passwd",
)

# Huge values: repeated characters of several widths (1, 2 and 4 UTF-8 bytes, NUL, RTL).
HUGE_SIZES = (129, 201, 4097, 100_000)
HUGE_UNITS = ("a", "\u00e9", "\U0001f600", "\x00", " ", "\u202e")


def hostile_text(max_huge: int = HUGE_SIZES[-1]) -> st.SearchStrategy[str]:
    sizes = [n for n in HUGE_SIZES if n <= max_huge]
    return st.one_of(
        st.sampled_from(SPECIAL_TEXT),
        # Any code point but surrogates (which proto strings cannot carry): controls,
        # NUL, combining marks, private use, unassigned …
        st.text(st.characters(codec="utf-8"), max_size=40),
        st.builds(operator.mul, st.sampled_from(HUGE_UNITS), st.sampled_from(sizes)),
    )


def plausible_text(field: FieldDescriptor) -> st.SearchStrategy[str]:
    """Values a well-behaved caller might send for `field`, judged by its name."""
    name = field.name
    if name == "paths":  # google.protobuf.FieldMask
        return st.sampled_from(UPDATE_PATHS)
    if name.endswith("character_id") or name == "owner_id":
        return st.sampled_from(CHARACTERS)
    if name == "scene_id":
        return st.sampled_from(SCENES)
    if name == "visibility":
        return st.sampled_from(("", "open", "private"))
    if name in ("pose_order_mode", "mode"):
        return st.sampled_from(("", "free", "strict", "3pr", "5pr"))
    if name == "state":
        return st.sampled_from(("", "active", "paused", "ended", "archived"))
    if name.endswith("_id"):
        return st.sampled_from(("", "room-1", "room-2"))
    return st.sampled_from(("", "Seed A", "A new title", "seed", "Violence"))


INT_RANGES: Mapping[int, tuple[int, int]] = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}


def hostile_int(low: int, high: int) -> st.SearchStrategy[int]:
    edges = sorted({v for v in (0, 1, -1, 200, 201, 1000, low, high) if low <= v <= high})
    return st.one_of(st.sampled_from(edges), st.integers(low, high))


def scalar_strategy(
    field: FieldDescriptor, *, hostile: bool, in_list: bool, depth: int
) -> st.SearchStrategy[Any]:
    kind = field.type
    if field.message_type is not None:
        return message_strategy(field.message_type, depth + 1)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if not hostile:
        if kind == FieldDescriptor.TYPE_STRING:
            return plausible_text(field)
        if kind in INT_RANGES:
            return st.integers(0, 60)
        if field.enum_type is not None:
            return st.sampled_from([v.number for v in field.enum_type.values])
    # List elements stay at most 4 KB, so that 300 of them still fit in a gRPC message.
    huge = 4097 if in_list else 100_000
    if kind == FieldDescriptor.TYPE_STRING:
        return hostile_text(huge)
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.one_of(st.binary(max_size=64), st.just(b"\x00" * huge))
    if kind in INT_RANGES:
        return hostile_int(*INT_RANGES[kind])
    if kind == FieldDescriptor.TYPE_ENUM:  # proto3 enums are open: any int32 arrives
        return hostile_int(-(2**31), 2**31 - 1)
    if kind == FieldDescriptor.TYPE_FLOAT:
        return st.floats(width=32)
    if kind == FieldDescriptor.TYPE_DOUBLE:
        return st.floats()
    raise AssertionError(f"no strategy for field {field.full_name} of type {kind}")


def field_strategy(field: FieldDescriptor, *, hostile: bool, depth: int) -> st.SearchStrategy[Any]:
    entry = field.message_type
    if entry is not None and entry.GetOptions().map_entry:
        return st.dictionaries(
            scalar_strategy(
                entry.fields_by_name["key"], hostile=hostile, in_list=True, depth=depth
            ),
            scalar_strategy(
                entry.fields_by_name["value"], hostile=hostile, in_list=True, depth=depth
            ),
            max_size=40 if hostile else 3,
        )
    if not field.is_repeated:
        return scalar_strategy(field, hostile=hostile, in_list=False, depth=depth)
    if not hostile:
        item = scalar_strategy(field, hostile=False, in_list=True, depth=depth)
        return st.lists(item, max_size=3, unique_by=repr)
    # Hostile lists: hostile or plausible items, few, around the 32-item limits, or the
    # same item up to 300 times (duplicates; blanks when it is "").
    item = st.one_of(
        scalar_strategy(field, hostile=True, in_list=True, depth=depth),
        scalar_strategy(field, hostile=False, in_list=True, depth=depth),
    )
    return st.one_of(
        st.lists(item, max_size=8),
        st.lists(item, min_size=30, max_size=40),
        st.tuples(item, st.integers(2, 300)).map(lambda pair: [pair[0]] * pair[1]),
    )


def message_strategy(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    """A message of `descriptor`'s type: every field plausible, then any subset of the
    fields (shrinking towards one) replaced by hostile values. Plausible values let the
    hostile ones get past the first check and reach the store."""
    cls = message_factory.GetMessageClass(descriptor)
    if depth > 2:
        return st.just(cls())
    fields = descriptor.fields
    plausible = st.fixed_dictionaries(
        {f.name: field_strategy(f, hostile=False, depth=depth) for f in fields}
    )
    hostile = st.fixed_dictionaries(
        {}, optional={f.name: field_strategy(f, hostile=True, depth=depth) for f in fields}
    )

    def build(values: tuple[dict[str, Any], dict[str, Any]]) -> Message:
        message = cls()
        for name, value in {**values[0], **values[1]}.items():
            field = descriptor.fields_by_name[name]
            if isinstance(value, dict):  # a map field
                entries = getattr(message, name)
                for key, item in value.items():
                    if isinstance(item, Message):
                        entries[key].CopyFrom(item)
                    else:
                        entries[key] = item
            elif field.is_repeated:
                target = getattr(message, name)
                if field.type == FieldDescriptor.TYPE_MESSAGE:
                    for item in value:
                        target.add().CopyFrom(item)
                else:
                    target.extend(value)
            elif field.type == FieldDescriptor.TYPE_MESSAGE:
                getattr(message, name).CopyFrom(value)
            else:
                setattr(message, name, value)
        return message

    return st.tuples(plausible, hostile).map(build)


# --- the plugin under attack --------------------------------------------------------------


Snapshot = dict[str, tuple[int, str]]


async def schema_snapshot(conn: psycopg.AsyncConnection[Any]) -> Snapshot:
    """Row count and a checksum of the contents of every table in the plugin's schema
    (one round trip: the tables are listed, then summed up in a single query)."""
    listed = await conn.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        " ORDER BY table_name"
    )
    tables = [name for (name,) in await listed.fetchall()]
    summary = sql.SQL(
        "SELECT {}, count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '')"
        " FROM {} t"
    )
    query = sql.SQL(" UNION ALL ").join(
        summary.format(sql.Literal(table), sql.Identifier(table)) for table in tables
    )
    rows = await (await conn.execute(query)).fetchall()
    return {table: (count, digest) for table, count, digest in rows}


def actor_metadata(request: Message) -> tuple[tuple[str, str], ...]:
    """The headers the host sends: the calling character as actor (kind 0). An id gRPC
    metadata cannot carry (non-ASCII, controls) is sent as a stand-in character."""
    character = getattr(request, "character_id", "")
    printable = character.isascii() and character.isprintable() and character.strip()
    return (
        (ACTOR_KIND_METADATA_KEY, "0"),
        (ACTOR_ID_METADATA_KEY, character if printable and len(character) <= 256 else ALICE),
    )


@dataclass
class Arena:
    plugin: ScenePlugin
    channel: grpc.aio.Channel
    db: psycopg.AsyncConnection[Any]
    dirty: bool = True
    """The tables differ from the seeded world (a call succeeded and wrote)."""

    def store(self) -> SceneStore:
        assert self.plugin.service.store is not None
        return self.plugin.service.store

    async def reset(self) -> None:
        """Back to the seeded world; CASCADE reaches every table that refers to scenes."""
        if self.dirty:
            await self.db.execute("TRUNCATE scenes CASCADE")
            await seed(self.store())
            self.dirty = False

    def stub(self, method: MethodDescriptor) -> Callable[..., Any]:
        response_class = message_factory.GetMessageClass(method.output_type)
        return self.channel.unary_unary(
            f"/{SERVICE.full_name}/{method.name}",
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=response_class.FromString,
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def arena(plugin_dsn: str) -> AsyncIterator[Arena]:
    """One served plugin for the whole module; `Arena.reset` gives each example (and
    each test) the seeded world."""
    plugin = ScenePlugin()
    async with serve_plugin(plugin) as served:
        await plugin_pb2_grpc.PluginServiceStub(served.channel).Init(  # type: ignore[no-untyped-call]
            plugin_pb2.InitRequest(
                config=plugin_pb2.ServiceConfig(
                    connection_string=plugin_dsn, required_services=served.host_services
                )
            )
        )
        db = await psycopg.AsyncConnection.connect(libpq_conninfo(plugin_dsn), autocommit=True)
        try:
            yield Arena(plugin, served.channel, db)
        finally:
            await db.close()
            await plugin.close()


def check_rejection(method: MethodDescriptor, err: grpc.aio.AioRpcError) -> None:
    code, message = err.code(), err.details() or ""
    where = f"{method.name} answered {code.name} {message[:300]!r}"
    assert code in CLIENT_ERRORS, where
    assert message.strip(), where
    assert len(message) <= MAX_MESSAGE_LENGTH, f"{where} … ({len(message)} characters)"
    for marker in TRACEBACK_MARKERS:
        assert marker not in message, where
    if code is grpc.StatusCode.INVALID_ARGUMENT:  # names the field that is wrong
        assert any(field.name in message for field in method.input_type.fields), where


async def attack(arena: Arena, method: MethodDescriptor, request: Message) -> str:
    """Send `request`, check the outcome, and say what it was (for hypothesis' statistics)."""
    await arena.reset()
    before = await schema_snapshot(arena.db)
    try:
        await arena.stub(method)(request, metadata=actor_metadata(request), timeout=30)
    except grpc.aio.AioRpcError as err:
        outcome = f"rejected: {err.code().name}"
        check_rejection(method, err)
        after = await schema_snapshot(arena.db)
        changed = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
        assert not changed, f"{method.name} was rejected but changed {changed}"
        return outcome
    arena.dirty = await schema_snapshot(arena.db) != before
    return "served"


# Tests using the arena run in its event loop (module scope).
in_arena_loop = pytest.mark.asyncio(loop_scope="module")

HOSTILE = settings(
    max_examples=50,
    deadline=None,
    # Examples are slow by nature (gRPC plus a dozen queries each), not by accident.
    suppress_health_check=[HealthCheck.too_slow],
)

REQUESTS = {name: message_strategy(method.input_type) for name, method in METHODS.items()}


def test_every_rpc_is_attacked() -> None:
    # 14 RPCs in the reference's SceneService; a new one gets attacked automatically.
    assert len(METHODS) == 14


@in_arena_loop
@pytest.mark.parametrize("rpc", sorted(METHODS))
@HOSTILE
@given(data=st.data())
async def test_hostile_request_is_served_or_cleanly_rejected(
    arena: Arena, rpc: str, data: st.DataObject
) -> None:
    request = data.draw(REQUESTS[rpc], label=f"{rpc} request")
    event(await attack(arena, METHODS[rpc], request))


# --- the harness itself can fail ----------------------------------------------------------

_unique = itertools.count()


@in_arena_loop
async def test_snapshot_sees_a_write(arena: Arena) -> None:
    await arena.reset()
    before = await schema_snapshot(arena.db)
    await arena.store().invite(OPEN, ALICE, f"char-extra-{next(_unique)}")
    after = await schema_snapshot(arena.db)
    assert {t for t in before if before[t] != after[t]} == {
        "scene_participants",
        "scene_ops_events",
    }


@in_arena_loop
async def test_reset_restores_the_seeded_world(arena: Arena) -> None:
    await arena.reset()
    request = scene_pb2.EndSceneRequest(character_id=ALICE, scene_id=OPEN)
    assert await attack(arena, METHODS["EndScene"], request) == "served"
    assert arena.dirty
    await arena.reset()
    scene = await arena.store().get(OPEN)
    assert str(scene.state) == "active"


async def rejection(arena: Arena, rpc: str, request: Message) -> grpc.aio.AioRpcError:
    await arena.reset()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await arena.stub(METHODS[rpc])(request, metadata=actor_metadata(request), timeout=30)
    return err.value


# --- regressions: the bugs this file found ------------------------------------------------


@pytest.mark.parametrize(
    ("rpc", "bad_request", "field"),
    [
        (
            "CastPublishVote",
            scene_pb2.CastPublishVoteRequest(character_id=ALICE, scene_id="\x00"),
            "scene_id",
        ),
        (
            "KickFromScene",
            scene_pb2.KickFromSceneRequest(
                character_id=ALICE, scene_id=OPEN, target_character_id="b\x00b"
            ),
            "target_character_id",
        ),
        ("CreateScene", scene_pb2.CreateSceneRequest(character_id=ALICE, title="A\x00B"), "title"),
        (
            "UpdateScene",
            scene_pb2.UpdateSceneRequest(
                character_id=ALICE,
                scene_id=OPEN,
                tags=["ok", "\x00"],
                update_mask=FieldMask(paths=["tags"]),
            ),
            "tags[1]",
        ),
        ("ListScenes", scene_pb2.ListScenesRequest(character_id="\x00"), "character_id"),
    ],
)
@in_arena_loop
async def test_nul_in_text_is_an_invalid_argument(
    arena: Arena, rpc: str, bad_request: Message, field: str
) -> None:
    await arena.reset()
    before = await schema_snapshot(arena.db)
    err = await rejection(arena, rpc, bad_request)
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == (
        f"request validation failed: {field}: value must not contain NUL characters"
    )
    assert await schema_snapshot(arena.db) == before


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("a" * 4097, '"' + "a" * 64 + '"…'),
        # 12 KB of UTF-8, percent-encoded in the status: it used to exceed gRPC's 16 KB
        # limit, and the caller got RESOURCE_EXHAUSTED "Stream removed" instead.
        ("\U0001f600" * 3000, '"' + "\U0001f600" * 64 + '"…'),
        ('\x1b[2J\u202e"\\', '"\\x1b[2J\\u202e\\"\\\\"'),
    ],
)
@in_arena_loop
async def test_unknown_update_mask_path_is_shown_short_and_escaped(
    arena: Arena, path: str, shown: str
) -> None:
    await arena.reset()
    before = await schema_snapshot(arena.db)
    request = scene_pb2.UpdateSceneRequest(
        character_id=ALICE, scene_id=OPEN, title="T", update_mask=FieldMask(paths=["title", path])
    )
    err = await rejection(arena, "UpdateScene", request)
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == (
        f"unknown update_mask path: {shown}; known paths: title, description, visibility,"
        " pose_order_mode, location_id, content_warnings, tags"
    )
    assert await schema_snapshot(arena.db) == before  # "title" was not applied either


@in_arena_loop
async def test_a_request_over_grpcs_default_4_mib_reaches_validation(arena: Arena) -> None:
    # The plugin's server lifts gRPC's message size limit (as go-plugin does), so a huge
    # field is refused by the rules, by name, not by the transport.
    request = scene_pb2.CreateSceneRequest(character_id=ALICE, title="t" * (5 << 20))
    err = await rejection(arena, "CreateScene", request)
    assert err.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == (
        "request validation failed: title: value length must be at most 200 characters"
    )


# Many bad list items: the SDK's validator names a few, so the status still fits a header.
@pytest.mark.parametrize(
    ("rpc", "bad_request"),
    [
        ("ListScenes", scene_pb2.ListScenesRequest(tags=[""] * 300)),
        (
            "CreateScene",
            scene_pb2.CreateSceneRequest(
                character_id=ALICE, title="T", content_warnings=[""] * 300
            ),
        ),
        (
            "UpdateScene",
            scene_pb2.UpdateSceneRequest(character_id=ALICE, scene_id=OPEN, tags=["x" * 65] * 40),
        ),
    ],
)
@in_arena_loop
async def test_many_bad_list_items_get_a_short_rejection(
    arena: Arena, rpc: str, bad_request: Message
) -> None:
    check_rejection(METHODS[rpc], await rejection(arena, rpc, bad_request))
