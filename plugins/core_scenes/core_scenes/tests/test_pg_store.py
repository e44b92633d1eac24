"""PostgresSceneStore on a real PostgreSQL, connected as the plugin's restricted role."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

import psycopg
import pytest

from core_scenes.errors import SceneError, SceneErrorCode
from core_scenes.ids import new_scene_id
from core_scenes.model import (
    NewScene,
    OpsEventKind,
    ParticipantRole,
    PoseOrderMode,
    SceneListQuery,
    SceneRecord,
    SceneState,
    SceneUpdate,
    Visibility,
)
from core_scenes.pg_store import MIGRATIONS_PACKAGE, PostgresSceneStore
from core_scenes.rules import SceneOp
from core_scenes.store import JoinOutcome
from holomush_sdk import storage

ALICE, BOB, CAROL = "char-alice", "char-bob", "char-carol"
_counter = itertools.count()


async def new_scene(
    store: PostgresSceneStore,
    *,
    owner: str = ALICE,
    visibility: Visibility = Visibility.OPEN,
    pose_order: PoseOrderMode = PoseOrderMode.FREE,
    tags: Sequence[str] = (),
) -> SceneRecord:
    return await store.create_with_owner(
        NewScene(
            id=new_scene_id(),
            title=f"Scene {next(_counter)}",
            owner_id=owner,
            owner_name=owner.removeprefix("char-").title(),
            visibility=visibility,
            pose_order=pose_order,
            tags=tuple(tags),
        )
    )


async def kinds(store: PostgresSceneStore, scene_id: str) -> list[OpsEventKind]:
    return [event.kind for event in await store.ops_events(scene_id)]


def assert_code(err: pytest.ExceptionInfo[SceneError], code: SceneErrorCode) -> None:
    assert err.value.code is code, err.value


async def test_migrations_run_twice_are_a_no_op(plugin_dsn: str) -> None:
    pool = await storage.connect(plugin_dsn)
    try:
        await storage.run_migrations(pool, MIGRATIONS_PACKAGE)
        assert await storage.run_migrations(pool, MIGRATIONS_PACKAGE) == []
        async with pool.connection() as conn:
            cur = await conn.execute("SELECT version FROM plugin_migrations ORDER BY version")
            versions = [row[0] for row in await cur.fetchall()]
            cur = await conn.execute("SELECT current_schema()")
            schema = await cur.fetchone()
    finally:
        await pool.close()
    assert versions == [1, 2, 3, 4, 5, 6, 7]
    assert schema == ("plugin_core_scenes",)


async def test_create_and_get_round_trip_every_field(pg_store: PostgresSceneStore) -> None:
    scene_id = new_scene_id()
    created = await pg_store.create_with_owner(
        NewScene(
            id=scene_id,
            title="The Ball",
            owner_id=ALICE,
            owner_name="Alice",
            visibility=Visibility.PRIVATE,
            pose_order=PoseOrderMode.THREE_POSE_RULE,
            description="A grand ball.",
            location_id="loc-1",
            tags=("gala", "court"),
            content_warnings=("Violence",),
        )
    )
    fetched = await pg_store.get(scene_id)
    assert fetched == created
    assert (fetched.title, fetched.description, fetched.location_id) == (
        "The Ball",
        "A grand ball.",
        "loc-1",
    )
    assert fetched.visibility is Visibility.PRIVATE
    assert fetched.pose_order is PoseOrderMode.THREE_POSE_RULE
    assert fetched.state is SceneState.ACTIVE
    assert fetched.tags == ("gala", "court")
    assert fetched.content_warnings == ("Violence",)
    assert fetched.created_at.tzinfo is not None
    assert fetched.ended_at is None
    assert [(p.character_id, p.role, p.character_name) for p in fetched.participants] == [
        (ALICE, ParticipantRole.OWNER, "Alice")
    ]
    [event] = await pg_store.ops_events(scene_id)
    assert (event.kind, event.actor_id, event.target_id) == (
        OpsEventKind.LIFECYCLE_CREATED,
        ALICE,
        None,
    )
    assert event.payload == {"visibility": "private", "from_template": False}


async def test_get_of_a_missing_scene_is_not_found(pg_store: PostgresSceneStore) -> None:
    with pytest.raises(SceneError) as err:
        await pg_store.get("scene-missing")
    assert_code(err, SceneErrorCode.NOT_FOUND)
    assert err.value.context == {"scene_id": "scene-missing"}


async def test_duplicate_create_rolls_back_everything(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)
    with pytest.raises(SceneError) as err:
        await pg_store.create_with_owner(NewScene(id=scene.id, title="Again", owner_id=BOB))
    assert_code(err, SceneErrorCode.CREATE_FAILED)
    again = await pg_store.get(scene.id)
    assert again.owner_id == ALICE
    assert [p.character_id for p in again.participants] == [ALICE]
    assert await kinds(pg_store, scene.id) == [OpsEventKind.LIFECYCLE_CREATED]


async def test_the_database_allows_one_owner_per_scene(
    pg_store: PostgresSceneStore, plugin_dsn: str
) -> None:
    scene = await new_scene(pg_store)
    async with await psycopg.AsyncConnection.connect(
        storage.libpq_conninfo(plugin_dsn), autocommit=True
    ) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation, match="one_owner"):
            await conn.execute(
                "INSERT INTO scene_participants (scene_id, character_id, role)"
                " VALUES (%s, %s, 'owner')",
                (scene.id, BOB),
            )
        with pytest.raises(psycopg.errors.UniqueViolation):
            await conn.execute(
                "INSERT INTO scene_participants (scene_id, character_id, role)"
                " VALUES (%s, %s, 'member')",
                (scene.id, ALICE),
            )
        with pytest.raises(psycopg.errors.CheckViolation):
            await conn.execute("UPDATE scenes SET visibility = 'secret' WHERE id = %s", (scene.id,))


async def test_two_concurrent_ends_exactly_one_succeeds(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)
    # The pool hands each call its own connection: the two really race in PostgreSQL.
    results = await asyncio.gather(
        pg_store.transition(scene.id, SceneOp.END, ALICE),
        pg_store.transition(scene.id, SceneOp.END, ALICE),
        return_exceptions=True,
    )
    successes = [r for r in results if not isinstance(r, BaseException)]
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(successes) == 1
    assert len(failures) == 1
    assert isinstance(failures[0], SceneError)
    assert failures[0].code is SceneErrorCode.TRANSITION_FORBIDDEN
    assert failures[0].context["current_state"] == "ended"
    assert (await kinds(pg_store, scene.id)).count(OpsEventKind.LIFECYCLE_ENDED) == 1


async def test_lifecycle_transitions_and_their_events(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)
    paused, prior = await pg_store.transition(scene.id, SceneOp.PAUSE, ALICE)
    assert (paused.state, prior) == (SceneState.PAUSED, SceneState.ACTIVE)
    with pytest.raises(SceneError) as err:
        await pg_store.transition(scene.id, SceneOp.PAUSE, ALICE)
    assert_code(err, SceneErrorCode.TRANSITION_FORBIDDEN)
    resumed, _ = await pg_store.transition(scene.id, SceneOp.RESUME, ALICE)
    assert resumed.state is SceneState.ACTIVE
    with pytest.raises(SceneError) as err:
        await pg_store.transition(scene.id, SceneOp.RESUME, ALICE)
    assert_code(err, SceneErrorCode.TRANSITION_FORBIDDEN)
    with pytest.raises(SceneError) as err:
        await pg_store.transition(scene.id, SceneOp.ARCHIVE, ALICE)
    assert_code(err, SceneErrorCode.TRANSITION_FORBIDDEN)
    ended, prior = await pg_store.transition(scene.id, SceneOp.END, ALICE)
    assert (ended.state, prior) == (SceneState.ENDED, SceneState.ACTIVE)
    assert ended.ended_at is not None
    archived, _ = await pg_store.transition(scene.id, SceneOp.ARCHIVE, ALICE)
    assert archived.state is SceneState.ARCHIVED
    assert archived.archived_at is not None
    events = await pg_store.ops_events(scene.id)
    assert [e.kind for e in events] == [
        OpsEventKind.LIFECYCLE_CREATED,
        OpsEventKind.LIFECYCLE_PAUSED,
        OpsEventKind.LIFECYCLE_RESUMED,
        OpsEventKind.LIFECYCLE_ENDED,
        OpsEventKind.LIFECYCLE_ARCHIVED,
    ]
    assert events[3].payload == {"prior_state": "active"}
    with pytest.raises(SceneError) as err:
        await pg_store.transition("scene-missing", SceneOp.END, ALICE)
    assert_code(err, SceneErrorCode.NOT_FOUND)


async def test_end_from_paused_sets_ended_at(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)
    await pg_store.transition(scene.id, SceneOp.PAUSE, ALICE)
    ended, prior = await pg_store.transition(scene.id, SceneOp.END, ALICE)
    assert (ended.state, prior, ended.ended_at is not None) == (
        SceneState.ENDED,
        SceneState.PAUSED,
        True,
    )


async def test_only_the_owner_ends_pauses_archives_and_a_member_may_resume(
    pg_store: PostgresSceneStore,
) -> None:
    scene = await new_scene(pg_store)
    await pg_store.join(scene.id, BOB, "Bob")
    for op in (SceneOp.END, SceneOp.PAUSE):
        with pytest.raises(SceneError) as err:
            await pg_store.transition(scene.id, op, BOB)
        assert_code(err, SceneErrorCode.NOT_OWNER)
    assert (await pg_store.get(scene.id)).state is SceneState.ACTIVE
    await pg_store.transition(scene.id, SceneOp.PAUSE, ALICE)
    with pytest.raises(SceneError) as err:
        await pg_store.transition(scene.id, SceneOp.RESUME, CAROL)
    assert_code(err, SceneErrorCode.NOT_PARTICIPANT)
    resumed, _ = await pg_store.transition(scene.id, SceneOp.RESUME, BOB)
    assert resumed.state is SceneState.ACTIVE
    [*_, event] = await pg_store.ops_events(scene.id)
    assert (event.kind, event.actor_id) == (OpsEventKind.LIFECYCLE_RESUMED, BOB)


async def test_update_changes_only_the_given_fields(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store, tags=("a",))
    updated = await pg_store.update(scene.id, ALICE, SceneUpdate(title="New title"))
    assert updated.title == "New title"
    assert (updated.tags, updated.visibility) == (("a",), Visibility.OPEN)
    updated = await pg_store.update(
        scene.id,
        ALICE,
        SceneUpdate(
            visibility=Visibility.PRIVATE,
            pose_order=PoseOrderMode.STRICT,
            location_id="loc-9",
            description="d",
            content_warnings=("Gore",),
            tags=(),
        ),
    )
    assert updated.visibility is Visibility.PRIVATE
    assert updated.pose_order is PoseOrderMode.STRICT
    assert (updated.location_id, updated.description) == ("loc-9", "d")
    assert (updated.content_warnings, updated.tags, updated.title) == (("Gore",), (), "New title")
    cleared = await pg_store.update(scene.id, ALICE, SceneUpdate(location_id=""))
    assert cleared.location_id == ""
    assert await pg_store.update(scene.id, ALICE, SceneUpdate()) == cleared
    events = [
        e for e in await pg_store.ops_events(scene.id) if e.kind is OpsEventKind.SETTINGS_UPDATED
    ]
    assert [e.payload["paths"] for e in events] == [
        ["title"],
        ["description", "visibility", "pose_order_mode", "location_id", "content_warnings", "tags"],
        ["location_id"],
    ]


async def test_update_is_refused_to_non_owners_and_after_the_end(
    pg_store: PostgresSceneStore,
) -> None:
    scene = await new_scene(pg_store)
    with pytest.raises(SceneError) as err:
        await pg_store.update(scene.id, BOB, SceneUpdate(title="Hijacked"))
    assert_code(err, SceneErrorCode.NOT_OWNER)
    await pg_store.transition(scene.id, SceneOp.END, ALICE)
    with pytest.raises(SceneError) as err:
        await pg_store.update(scene.id, ALICE, SceneUpdate(title="Late"))
    assert_code(err, SceneErrorCode.TRANSITION_FORBIDDEN)
    assert (await pg_store.get(scene.id)).title == scene.title
    with pytest.raises(SceneError) as err:
        await pg_store.update("scene-missing", ALICE, SceneUpdate(title="x"))
    assert_code(err, SceneErrorCode.NOT_FOUND)


async def test_join_of_an_open_scene(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)
    assert await pg_store.join(scene.id, BOB, "Bob") is JoinOutcome.INSERTED
    assert await pg_store.join(scene.id, BOB, "Bob") is JoinOutcome.NO_CHANGE
    assert await pg_store.join(scene.id, ALICE, "Alice") is JoinOutcome.NO_CHANGE
    joins = [
        e for e in await pg_store.ops_events(scene.id) if e.kind is OpsEventKind.MEMBERSHIP_JOIN
    ]
    assert [(e.actor_id, e.target_id, e.payload) for e in joins] == [
        (BOB, BOB, {"visibility": "open", "from_invited": False})
    ]
    fetched = await pg_store.get(scene.id)
    assert fetched.role_of(BOB) is ParticipantRole.MEMBER
    assert fetched.participant_ids == [ALICE, BOB]


async def test_private_scene_membership_lifecycle(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store, visibility=Visibility.PRIVATE)
    with pytest.raises(SceneError) as err:
        await pg_store.join(scene.id, BOB, "Bob")
    assert_code(err, SceneErrorCode.JOIN_NOT_INVITED)
    assert err.value.context["character_id"] == BOB
    with pytest.raises(SceneError) as err:
        await pg_store.invite(scene.id, BOB, CAROL)
    assert_code(err, SceneErrorCode.NOT_OWNER)

    assert await pg_store.invite(scene.id, ALICE, BOB) is True
    assert await pg_store.invite(scene.id, ALICE, BOB) is False
    assert (await pg_store.get(scene.id)).invitee_ids == [BOB]
    assert await pg_store.join(scene.id, BOB, "Bob") is JoinOutcome.PROMOTED
    with pytest.raises(SceneError) as err:
        await pg_store.invite(scene.id, ALICE, BOB)
    assert_code(err, SceneErrorCode.INVITE_TARGET_ALREADY_MEMBER)
    with pytest.raises(SceneError) as err:
        await pg_store.invite(scene.id, ALICE, ALICE)
    assert_code(err, SceneErrorCode.INVITE_TARGET_ALREADY_MEMBER)
    assert err.value.context["current_role"] == "owner"

    assert await pg_store.kick(scene.id, ALICE, BOB) is ParticipantRole.MEMBER
    assert (await pg_store.get(scene.id)).role_of(BOB) is None
    await pg_store.invite(scene.id, ALICE, BOB)
    await pg_store.join(scene.id, BOB, "Bob")

    assert await pg_store.transfer(scene.id, ALICE, BOB) is True
    after = await pg_store.get(scene.id)
    assert after.owner_id == BOB
    assert (after.role_of(BOB), after.role_of(ALICE)) == (
        ParticipantRole.OWNER,
        ParticipantRole.MEMBER,
    )
    assert await pg_store.leave(scene.id, ALICE) is ParticipantRole.MEMBER
    with pytest.raises(SceneError) as err:
        await pg_store.leave(scene.id, BOB)
    assert_code(err, SceneErrorCode.OWNER_CANNOT_LEAVE)

    events = await pg_store.ops_events(scene.id)
    assert [(e.kind, e.actor_id, e.target_id, e.payload) for e in events[1:]] == [
        (OpsEventKind.MEMBERSHIP_INVITE, ALICE, BOB, {}),
        (OpsEventKind.MEMBERSHIP_JOIN, BOB, BOB, {"visibility": "private", "from_invited": True}),
        (OpsEventKind.MEMBERSHIP_KICK, ALICE, BOB, {"prior_role": "member"}),
        (OpsEventKind.MEMBERSHIP_INVITE, ALICE, BOB, {}),
        (OpsEventKind.MEMBERSHIP_JOIN, BOB, BOB, {"visibility": "private", "from_invited": True}),
        (OpsEventKind.MEMBERSHIP_OWNERSHIP_TRANSFERRED, ALICE, BOB, {"from": ALICE}),
        (OpsEventKind.MEMBERSHIP_LEAVE, ALICE, ALICE, {"prior_role": "member"}),
    ]


async def test_event_count_sequence_on_a_private_scene(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store, visibility=Visibility.PRIVATE)
    counts = [len(await pg_store.ops_events(scene.id))]
    steps = [
        pg_store.invite(scene.id, ALICE, BOB),
        pg_store.invite(scene.id, ALICE, BOB),
        pg_store.join(scene.id, BOB, "Bob"),
        pg_store.join(scene.id, BOB, "Bob"),
        pg_store.kick(scene.id, ALICE, BOB),
        pg_store.transition(scene.id, SceneOp.PAUSE, ALICE),
        pg_store.transition(scene.id, SceneOp.RESUME, ALICE),
        pg_store.transition(scene.id, SceneOp.END, ALICE),
    ]
    for step in steps:
        await step
        counts.append(len(await pg_store.ops_events(scene.id)))
    assert counts == [1, 2, 2, 3, 3, 4, 5, 6, 7]


async def test_kick_rules(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)
    await pg_store.invite(scene.id, ALICE, CAROL)
    assert await pg_store.kick(scene.id, ALICE, CAROL) is ParticipantRole.INVITED
    await pg_store.join(scene.id, BOB, "Bob")
    for actor, target, code in [
        (ALICE, ALICE, SceneErrorCode.KICK_FORBIDDEN),
        (ALICE, CAROL, SceneErrorCode.PARTICIPANT_NOT_FOUND),
        (BOB, ALICE, SceneErrorCode.NOT_OWNER),
    ]:
        with pytest.raises(SceneError) as err:
            await pg_store.kick(scene.id, actor, target)
        assert_code(err, code)
    assert (await pg_store.get(scene.id)).participant_ids == [ALICE, BOB]


async def test_transfer_rules(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)
    await pg_store.join(scene.id, BOB, "Bob")
    await pg_store.invite(scene.id, ALICE, CAROL)
    assert await pg_store.transfer(scene.id, ALICE, ALICE) is False
    for actor, target, code in [
        (ALICE, CAROL, SceneErrorCode.TRANSFER_TARGET_NOT_MEMBER),
        (ALICE, "char-nobody", SceneErrorCode.TRANSFER_TARGET_NOT_MEMBER),
        (BOB, BOB, SceneErrorCode.NOT_OWNER),
    ]:
        with pytest.raises(SceneError) as err:
            await pg_store.transfer(scene.id, actor, target)
        assert_code(err, code)
    await pg_store.transition(scene.id, SceneOp.PAUSE, ALICE)
    assert await pg_store.transfer(scene.id, ALICE, BOB) is True
    after = await pg_store.get(scene.id)
    assert (after.state, after.owner_id) == (SceneState.PAUSED, BOB)
    owners = [p.character_id for p in after.participants if p.role is ParticipantRole.OWNER]
    assert owners == [after.owner_id]


async def test_membership_is_frozen_once_the_scene_ended(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)
    await pg_store.join(scene.id, BOB, "Bob")
    await pg_store.transition(scene.id, SceneOp.END, ALICE)
    for attempt in (
        pg_store.join(scene.id, CAROL, "Carol"),
        pg_store.leave(scene.id, BOB),
        pg_store.invite(scene.id, ALICE, CAROL),
        pg_store.kick(scene.id, ALICE, BOB),
        pg_store.transfer(scene.id, ALICE, BOB),
    ):
        with pytest.raises(SceneError) as err:
            await attempt
        assert_code(err, SceneErrorCode.TRANSITION_FORBIDDEN)
        assert err.value.context["current_state"] == "ended"
    assert (await pg_store.get(scene.id)).participant_ids == [ALICE, BOB]


async def test_leave_rules(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)
    await pg_store.invite(scene.id, ALICE, CAROL)
    assert await pg_store.leave(scene.id, CAROL) is ParticipantRole.INVITED
    with pytest.raises(SceneError) as err:
        await pg_store.leave(scene.id, CAROL)
    assert_code(err, SceneErrorCode.PARTICIPANT_NOT_FOUND)
    with pytest.raises(SceneError) as err:
        await pg_store.leave(scene.id, ALICE)
    assert_code(err, SceneErrorCode.OWNER_CANNOT_LEAVE)
    assert (await pg_store.get(scene.id)).participant_ids == [ALICE]


async def test_strict_pose_order_and_the_pose_record(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store, pose_order=PoseOrderMode.STRICT)
    await pg_store.join(scene.id, BOB, "Bob")
    delivered: list[str] = []

    async def deliver(record: SceneRecord) -> None:
        delivered.append(record.id)

    with pytest.raises(SceneError) as err:
        await pg_store.record_pose(scene.id, BOB, "Bob", deliver)
    assert_code(err, SceneErrorCode.POSE_OUT_OF_TURN)
    assert "next: Alice" in err.value.message
    await pg_store.record_pose(scene.id, ALICE, "Alice", deliver)
    with pytest.raises(SceneError) as err:
        await pg_store.record_pose(scene.id, ALICE, "Alice", deliver)
    assert_code(err, SceneErrorCode.POSE_OUT_OF_TURN)
    await pg_store.record_pose(scene.id, BOB, "Bob", deliver)
    assert delivered == [scene.id, scene.id]
    _, standings = await pg_store.pose_standings(scene.id)
    assert [(s.character_id, s.poses_since) for s in standings] == [(ALICE, 1), (BOB, 0)]
    assert all(s.last_posed_at is not None for s in standings)
    assert (await kinds(pg_store, scene.id)).count(OpsEventKind.POSE_POSTED) == 2


async def test_a_failed_delivery_records_no_pose(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)

    async def refuse(_: SceneRecord) -> None:
        raise RuntimeError("host refused")

    with pytest.raises(RuntimeError, match="host refused"):
        await pg_store.record_pose(scene.id, ALICE, "Alice", refuse)
    _, [standing] = await pg_store.pose_standings(scene.id)
    assert standing.last_pose_seq is None
    assert OpsEventKind.POSE_POSTED not in await kinds(pg_store, scene.id)


async def test_only_participants_pose_and_only_while_active(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)

    async def deliver(_: SceneRecord) -> None:
        return None

    with pytest.raises(SceneError) as err:
        await pg_store.record_pose(scene.id, BOB, "Bob", deliver)
    assert_code(err, SceneErrorCode.NOT_PARTICIPANT)
    await pg_store.transition(scene.id, SceneOp.PAUSE, ALICE)
    with pytest.raises(SceneError) as err:
        await pg_store.record_pose(scene.id, ALICE, "Alice", deliver)
    assert_code(err, SceneErrorCode.TRANSITION_FORBIDDEN)


async def test_concurrent_poses_in_strict_order_let_one_through(
    pg_store: PostgresSceneStore,
) -> None:
    scene = await new_scene(pg_store, pose_order=PoseOrderMode.STRICT)
    await pg_store.join(scene.id, BOB, "Bob")

    async def deliver(_: SceneRecord) -> None:
        # Hold the transaction open so the other calls get pooled connections of their
        # own and really run into the scene's row lock (not a wait on a condition).
        await asyncio.sleep(0.2)

    results = await asyncio.gather(
        *(pg_store.record_pose(scene.id, ALICE, "Alice", deliver) for _ in range(3)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(
        isinstance(r, SceneError) and r.code is SceneErrorCode.POSE_OUT_OF_TURN
        for r in results
        if isinstance(r, BaseException)
    )


async def test_publish_votes(pg_store: PostgresSceneStore) -> None:
    scene = await new_scene(pg_store)
    await pg_store.join(scene.id, BOB, "Bob")
    with pytest.raises(SceneError) as err:
        await pg_store.cast_vote(scene.id, ALICE, True)
    assert_code(err, SceneErrorCode.TRANSITION_FORBIDDEN)
    assert "once the scene has ended" in err.value.message
    await pg_store.transition(scene.id, SceneOp.END, ALICE)
    with pytest.raises(SceneError) as err:
        await pg_store.cast_vote(scene.id, CAROL, True)
    assert_code(err, SceneErrorCode.NOT_PARTICIPANT)

    tally = await pg_store.cast_vote(scene.id, ALICE, True)
    assert (tally.participants, tally.yes, tally.no, tally.published) == (2, 1, 0, False)
    tally = await pg_store.cast_vote(scene.id, BOB, False)
    assert (tally.yes, tally.no, tally.pending, tally.published) == (1, 1, 0, False)
    assert (await pg_store.get(scene.id)).published_at is None
    tally = await pg_store.cast_vote(scene.id, BOB, True)
    assert (tally.yes, tally.no, tally.published) == (2, 0, True)
    assert (await pg_store.get(scene.id)).published_at is not None
    with pytest.raises(SceneError) as err:
        await pg_store.cast_vote(scene.id, ALICE, False)
    assert_code(err, SceneErrorCode.ALREADY_PUBLISHED)
    assert (await kinds(pg_store, scene.id))[-4:] == [
        OpsEventKind.PUBLISH_VOTE,
        OpsEventKind.PUBLISH_VOTE,
        OpsEventKind.PUBLISH_VOTE,
        OpsEventKind.PUBLISH_PUBLISHED,
    ]


async def test_list_scenes_filters_by_visibility_tags_and_state(
    pg_store: PostgresSceneStore,
) -> None:
    viewer = f"char-viewer-{next(_counter)}"
    tag = f"tag{next(_counter)}"
    open_scene = await new_scene(pg_store, tags=(tag, "x"))
    private_hidden = await new_scene(pg_store, visibility=Visibility.PRIVATE, tags=(tag,))
    private_invited = await new_scene(pg_store, visibility=Visibility.PRIVATE, tags=(tag,))
    await pg_store.invite(private_invited.id, ALICE, viewer)
    ended = await new_scene(pg_store, tags=(tag,))
    await pg_store.transition(ended.id, SceneOp.END, ALICE)

    async def ids(**query: object) -> list[str]:
        return [s.id for s in await pg_store.list_scenes(SceneListQuery(**query))]  # type: ignore[arg-type]

    assert await ids(viewer_id=viewer, tags=[tag]) == [
        ended.id,
        private_invited.id,
        open_scene.id,
    ]
    assert private_hidden.id not in await ids(tags=[tag])
    assert await ids(viewer_id=viewer, tags=[tag, "x"]) == [open_scene.id]
    assert await ids(viewer_id=viewer, tags=[tag], states=[SceneState.ENDED]) == [ended.id]
    assert await ids(
        viewer_id=viewer, tags=[tag], states=[SceneState.ACTIVE, SceneState.PAUSED]
    ) == [private_invited.id, open_scene.id]
    assert await ids(viewer_id=viewer, tags=[tag], limit=1, offset=1) == [private_invited.id]
    [listed] = await pg_store.list_scenes(SceneListQuery(viewer_id=viewer, tags=[tag, "x"]))
    assert listed.participant_ids == [ALICE]
