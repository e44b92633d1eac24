"""EventStore: append, append_many, replay, tail and their validation, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from holomush_host.data.connection import HostPool
from holomush_host.data.errors import DataErrorCode, InvalidInputError, StoreUnavailableError
from holomush_host.data.event_store import EventStore
from holomush_host.data.event_types import Actor, ActorKind, EventDraft
from holomush_host.data.ids import is_ulid
from holomush_host.data.validation import MAX_PAYLOAD_BYTES

from .helpers import ALICE, SYSTEM

STREAM = "location:01J0Z3V6Q2Y8K7M4N5P6R7S8AA"
OTHER = "location:01J0Z3V6Q2Y8K7M4N5P6R7S8BB"


async def count_rows(pool: HostPool) -> int:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) FROM events")
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def test_append_returns_the_stored_event(store: EventStore) -> None:
    before = datetime.now(UTC)
    event = await store.append(STREAM, "say", ALICE, '{"message": "hi"}')

    assert is_ulid(event.id)
    assert (event.stream, event.type, event.actor) == (STREAM, "say", ALICE)
    assert event.payload == '{"message": "hi"}'
    assert before - timedelta(seconds=1) <= event.created_at <= datetime.now(UTC)
    assert event.timestamp_ms == int(event.created_at.timestamp() * 1000)
    assert await store.replay(STREAM) == [event]


async def test_payload_text_is_kept_exactly(store: EventStore) -> None:
    payload = '{ "b" : 1,  "a" : [1, 2.50, "é\\u0000"] }'
    event = await store.append(STREAM, "say", ALICE, payload)
    assert (await store.replay(STREAM))[0].payload == payload == event.payload


async def test_bytes_payload_is_read_as_utf8(store: EventStore) -> None:
    event = await store.append(STREAM, "say", ALICE, '{"m": "café"}'.encode())
    assert event.payload == '{"m": "café"}'


async def test_ids_increase_in_append_order_per_stream(store: EventStore) -> None:
    appended = []
    for index in range(20):
        stream = STREAM if index % 2 == 0 else OTHER
        appended.append(await store.append(stream, "say", ALICE, json.dumps({"n": index})))
    ids = [event.id for event in appended]
    assert ids == sorted(ids)
    assert len(set(ids)) == 20
    assert await store.replay(STREAM) == [e for e in appended if e.stream == STREAM]
    assert await store.replay(OTHER) == [e for e in appended if e.stream == OTHER]


async def test_ids_go_above_ids_another_writer_stored(store: EventStore, pool: HostPool) -> None:
    """Another process with a clock far ahead wrote an event: ours must still sort after it."""
    from ulid import ULID

    ahead = str(ULID.from_timestamp(datetime(2100, 1, 1, tzinfo=UTC).timestamp()))
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO events (id, stream, type, actor_kind, actor_id, payload)"
            " VALUES (%s, %s, 'say', 0, 'x', '{}')",
            (ahead, STREAM),
        )
    event = await store.append(STREAM, "say", ALICE)
    assert event.id > ahead
    assert [e.id for e in await store.replay(STREAM)] == [ahead, event.id]


async def test_concurrent_appends_are_all_stored_in_id_order(store: EventStore) -> None:
    results = await asyncio.gather(
        *(store.append(STREAM, "say", ALICE, json.dumps({"n": n})) for n in range(200))
    )
    replayed = await store.replay(STREAM, limit=1000)
    assert sorted(e.id for e in results) == [e.id for e in replayed]
    assert {json.loads(e.payload)["n"] for e in replayed} == set(range(200))


async def test_append_many_is_one_transaction(store: EventStore, pool: HostPool) -> None:
    events = await store.append_many(
        [EventDraft(STREAM, "say", ALICE, '{"n": 1}'), EventDraft(OTHER, "pose", SYSTEM, "{}")]
    )
    assert [e.stream for e in events] == [STREAM, OTHER]
    assert events[0].id < events[1].id
    assert events[0].created_at == events[1].created_at  # one commit

    with pytest.raises(InvalidInputError, match="event 1: event payload must be valid JSON"):
        await store.append_many(
            [EventDraft(STREAM, "say", ALICE, "{}"), EventDraft(STREAM, "say", ALICE, "{oops")]
        )
    assert await count_rows(pool) == 2
    assert await store.append_many([]) == []


async def test_append_many_refuses_too_many_events(store: EventStore, pool: HostPool) -> None:
    drafts = [EventDraft(STREAM, "say", ALICE)] * 1001
    with pytest.raises(InvalidInputError, match="at most 1000"):
        await store.append_many(drafts)
    assert await count_rows(pool) == 0


@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        ("", DataErrorCode.EVENT_PAYLOAD_INVALID_JSON, "must be valid JSON"),
        ("{not json}", DataErrorCode.EVENT_PAYLOAD_INVALID_JSON, "must be valid JSON"),
        ('{"a": NaN}', DataErrorCode.EVENT_PAYLOAD_INVALID_JSON, "NaN is not valid JSON"),
        ("[1, Infinity]", DataErrorCode.EVENT_PAYLOAD_INVALID_JSON, "Infinity"),
        ('"a\x01b"', DataErrorCode.EVENT_PAYLOAD_INVALID_JSON, "must be valid JSON"),
        (b"\xff\xfe", DataErrorCode.EVENT_PAYLOAD_INVALID_JSON, "not UTF-8"),
        ('"\ud800"', DataErrorCode.EVENT_PAYLOAD_INVALID_JSON, "unpaired surrogates"),
        (
            '"' + "x" * (MAX_PAYLOAD_BYTES - 1) + '"',
            DataErrorCode.EVENT_PAYLOAD_TOO_LARGE,
            "65537 bytes; the limit is 65536",
        ),
        ('"' + "é" * 32768 + '"', DataErrorCode.EVENT_PAYLOAD_TOO_LARGE, "65538 bytes"),
        (42, DataErrorCode.INVALID_ARGUMENT, "JSON text"),
    ],
)
async def test_bad_payloads_are_refused_and_nothing_is_written(
    store: EventStore, pool: HostPool, payload: object, code: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        await store.append(STREAM, "say", ALICE, payload)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert await count_rows(pool) == 0


async def test_payload_of_exactly_64_kib_is_accepted(store: EventStore) -> None:
    payload = '"' + "x" * (MAX_PAYLOAD_BYTES - 2) + '"'
    event = await store.append(STREAM, "say", ALICE, payload)
    assert len(event.payload.encode()) == MAX_PAYLOAD_BYTES


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        ("", "non-empty"),
        ("location", "'<namespace>:<name>'"),
        ("location:", "'<namespace>:<name>'"),
        (":x", "'<namespace>:<name>'"),
        ("location:a b", "whitespace"),
        ("location:a\x00", "whitespace or control"),
        ("location:" + "x" * 250, "longer than 256"),
    ],
)
async def test_bad_streams_are_refused(
    store: EventStore, pool: HostPool, stream: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        await store.append(stream, "say", ALICE)
    assert await count_rows(pool) == 0


@pytest.mark.parametrize(
    ("event_type", "actor", "message"),
    [
        ("", ALICE, "event type must not be empty"),
        ("two words", ALICE, "must not contain spaces"),
        ("x" * 129, ALICE, "longer than 128"),
        ("say", Actor(ActorKind.CHARACTER, ""), "actor id must not be empty"),
        ("say", Actor(7, "x"), "ActorKind"),  # type: ignore[arg-type]
        ("say", ("character", "x"), "Actor"),
    ],
)
async def test_bad_types_and_actors_are_refused(
    store: EventStore, pool: HostPool, event_type: str, actor: Actor, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        await store.append(STREAM, event_type, actor)
    assert await count_rows(pool) == 0


async def test_a_request_the_database_refuses_fails_alone(
    store: EventStore, pool: HostPool
) -> None:
    # A rule only the database knows, to reach the writer's per-request fallback.
    async with pool.connection() as conn:
        await conn.execute(
            "ALTER TABLE events ADD CONSTRAINT test_no_forbidden CHECK (type <> 'forbidden')"
        )
    outcomes = await asyncio.gather(
        *(
            store.append(STREAM, "forbidden" if n == 5 else "say", ALICE, json.dumps({"n": n}))
            for n in range(10)
        ),
        return_exceptions=True,
    )
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failures) == 1
    assert isinstance(failures[0], InvalidInputError)
    assert "refused the event" in failures[0].message
    assert len(await store.replay(STREAM)) == 9


async def test_replay_after_and_limit(store: EventStore) -> None:
    events = await store.append_many(
        [EventDraft(STREAM, "say", ALICE, json.dumps({"n": n})) for n in range(10)]
    )
    assert await store.replay(STREAM, events[3].id, limit=4) == events[4:8]
    assert await store.replay(STREAM, events[-1].id) == []
    assert await store.replay_all(events[7].id) == events[8:]
    with pytest.raises(InvalidInputError, match="invalid after_id"):
        await store.replay(STREAM, "not-a-ulid")
    with pytest.raises(InvalidInputError, match="limit must be between 1 and 1000"):
        await store.replay(STREAM, limit=0)
    with pytest.raises(InvalidInputError, match="limit must be between 1 and 1000"):
        await store.replay(STREAM, limit=1001)


async def test_tail_follows_query_stream_history_rules(store: EventStore) -> None:
    events = await store.append_many(
        [EventDraft(STREAM, "say", ALICE, json.dumps({"n": n})) for n in range(520)]
    )
    await store.append(OTHER, "say", ALICE)

    assert await store.tail(STREAM, 3) == events[-3:]
    assert len(await store.tail(STREAM, 10_000)) == 500  # clamped to 500
    assert await store.tail(STREAM, 500) == events[-500:]
    assert await store.tail(STREAM, 0) == []
    assert await store.tail(STREAM, 2, before_id=events[10].id) == events[8:10]
    with pytest.raises(InvalidInputError, match="count must be non-negative"):
        await store.tail(STREAM, -1)
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        await store.tail(STREAM, 1, not_before=datetime(2020, 1, 1))


async def test_tail_not_before_drops_older_events(store: EventStore, pool: HostPool) -> None:
    old = await store.append(STREAM, "say", ALICE)
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE events SET created_at = now() - interval '1 hour' WHERE id = %s", (old.id,)
        )
    new = await store.append(STREAM, "say", ALICE)
    floor = datetime.now(UTC) - timedelta(minutes=5)
    assert await store.tail(STREAM, 10, not_before=floor) == [new]
    assert [e.id for e in await store.tail(STREAM, 10)] == [old.id, new.id]


async def test_last_event_id(store: EventStore) -> None:
    assert await store.last_event_id(STREAM) is None
    await store.append(STREAM, "say", ALICE)
    last = await store.append(STREAM, "say", ALICE)
    await store.append(OTHER, "say", ALICE)
    assert await store.last_event_id(STREAM) == last.id


async def test_appends_after_close_are_refused(pool: HostPool, conninfo: str, schema: str) -> None:
    events = EventStore(pool, conninfo, schema=schema)
    await events.start()
    pending = [asyncio.create_task(events.append(STREAM, "say", ALICE)) for _ in range(5)]
    await asyncio.sleep(0)  # let them queue
    await events.close()
    assert len(await asyncio.gather(*pending)) == 5  # queued appends were written
    with pytest.raises(StoreUnavailableError, match="closed"):
        await events.append(STREAM, "say", ALICE)
