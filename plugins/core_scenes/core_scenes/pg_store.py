"""`SceneStore` on PostgreSQL (schema ``plugin_core_scenes``, reached through the DSN's
search_path).

Every mutation is one transaction: lock the scene row (``SELECT … FOR UPDATE``), load its
participants, apply `core_scenes.rules`, write, append the ops event, commit. Because
every mutation of a scene takes that lock first, concurrent operations on one scene run
one after the other and each sees the other's result: of two concurrent ``end`` calls
exactly one succeeds, the other finds the scene ended.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, LiteralString

import psycopg
from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from core_scenes.errors import SceneError, SceneErrorCode
from core_scenes.ids import new_ops_event_id, new_pose_id
from core_scenes.model import (
    NewScene,
    OpsEvent,
    OpsEventKind,
    ParticipantRecord,
    ParticipantRole,
    PoseOrderMode,
    PoserStanding,
    SceneListQuery,
    SceneRecord,
    SceneState,
    SceneUpdate,
    Visibility,
    VoteTally,
)
from core_scenes.rules import (
    SceneOp,
    check_invite,
    check_join,
    check_kick,
    check_leave,
    check_op,
    check_pose_turn,
    check_transfer,
    check_vote,
    not_found,
)
from core_scenes.store import LIFECYCLE_EVENT_KINDS, JoinOutcome, PoseDelivery
from holomush_sdk import storage

__all__ = ["MIGRATIONS_PACKAGE", "PostgresSceneStore", "open_scene_store"]

_log = logging.getLogger(__name__)

MIGRATIONS_PACKAGE = "core_scenes.migrations"

_SCENE_COLUMNS: LiteralString = (
    "id, title, description, location_id, owner_id, state, pose_order, visibility,"
    " content_warnings, tags, created_at, ended_at, archived_at, published_at"
)
# SceneUpdate fields, named like their columns.
_UPDATE_FIELDS = (
    "title",
    "description",
    "visibility",
    "pose_order",
    "location_id",
    "content_warnings",
    "tags",
)

Conn = AsyncConnection[Any]


async def open_scene_store(conn_string: str) -> PostgresSceneStore:
    """Connect to the plugin's schema and bring it up to date; raises `StorageError`."""
    pool = await storage.connect(conn_string)
    try:
        applied = await storage.run_migrations(pool, MIGRATIONS_PACKAGE)
    except BaseException:
        await pool.close()
        raise
    if applied:
        _log.info("applied migrations: %s", ", ".join(applied))
    return PostgresSceneStore(pool)


def _scene_from_row(row: dict[str, Any], participants: Sequence[ParticipantRecord]) -> SceneRecord:
    return SceneRecord(
        id=row["id"],
        title=row["title"],
        description=row["description"],
        location_id=row["location_id"] or "",
        owner_id=row["owner_id"],
        state=SceneState(row["state"]),
        pose_order=PoseOrderMode(row["pose_order"]),
        visibility=Visibility(row["visibility"]),
        content_warnings=tuple(row["content_warnings"]),
        tags=tuple(row["tags"]),
        created_at=row["created_at"],
        ended_at=row["ended_at"],
        archived_at=row["archived_at"],
        published_at=row["published_at"],
        participants=tuple(participants),
    )


def _participant_from_row(row: dict[str, Any]) -> ParticipantRecord:
    return ParticipantRecord(
        character_id=row["character_id"],
        role=ParticipantRole(row["role"]),
        joined_at=row["joined_at"],
        character_name=row["character_name"],
    )


class PostgresSceneStore:
    """The production `SceneStore`. Owns its pool: `close` closes it."""

    def __init__(self, pool: storage.PluginPool) -> None:
        self._pool = pool

    async def close(self) -> None:
        await self._pool.close()

    # --- reads ------------------------------------------------------------------------

    async def get(self, scene_id: str) -> SceneRecord:
        async with self._connection("get scene") as conn:
            return await _load(conn, scene_id, lock=False)

    async def list_scenes(self, query: SceneListQuery) -> list[SceneRecord]:
        async with self._connection("list scenes") as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                "SELECT " + _SCENE_COLUMNS + " FROM scenes s"
                " WHERE (s.visibility = 'open' OR (%(viewer)s <> '' AND EXISTS ("
                "   SELECT 1 FROM scene_participants p"
                "   WHERE p.scene_id = s.id AND p.character_id = %(viewer)s)))"
                " AND (cardinality(%(states)s::text[]) = 0 OR s.state = ANY(%(states)s::text[]))"
                " AND s.tags @> %(tags)s::text[]"
                " ORDER BY s.created_at DESC, s.id DESC LIMIT %(limit)s OFFSET %(offset)s",
                {
                    "viewer": query.viewer_id,
                    "states": [str(state) for state in query.states],
                    "tags": list(query.tags),
                    "limit": query.limit,
                    "offset": query.offset,
                },
            )
            rows = await cur.fetchall()
            by_scene = await _participants_of(conn, [row["id"] for row in rows])
            return [_scene_from_row(row, by_scene.get(row["id"], ())) for row in rows]

    async def pose_standings(self, scene_id: str) -> tuple[SceneRecord, list[PoserStanding]]:
        async with self._connection("get pose order") as conn:
            scene = await _load(conn, scene_id, lock=False)
            return scene, await _standings(conn, scene_id)

    async def ops_events(self, scene_id: str) -> list[OpsEvent]:
        async with self._connection("list ops events") as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                "SELECT id, scene_id, kind, actor_id, target_id, payload, occurred_at"
                " FROM scene_ops_events WHERE scene_id = %s ORDER BY occurred_at, id",
                (scene_id,),
            )
            return [
                OpsEvent(
                    id=row["id"],
                    scene_id=row["scene_id"],
                    kind=OpsEventKind(row["kind"]),
                    actor_id=row["actor_id"],
                    target_id=row["target_id"],
                    payload=dict(row["payload"]),
                    occurred_at=row["occurred_at"],
                )
                for row in await cur.fetchall()
            ]

    # --- mutations --------------------------------------------------------------------

    async def create_with_owner(self, scene: NewScene) -> SceneRecord:
        async with self._transaction("create scene") as conn:
            try:
                await conn.execute(
                    "INSERT INTO scenes (id, title, description, location_id, owner_id, state,"
                    " pose_order, visibility, content_warnings, tags)"
                    " VALUES (%s, %s, %s, %s, %s, 'active', %s, %s, %s, %s)",
                    (
                        scene.id,
                        scene.title,
                        scene.description,
                        scene.location_id or None,
                        scene.owner_id,
                        str(scene.pose_order),
                        str(scene.visibility),
                        list(scene.content_warnings),
                        list(scene.tags),
                    ),
                )
            except psycopg.errors.UniqueViolation as exc:
                raise SceneError(
                    SceneErrorCode.CREATE_FAILED,
                    f"scene {scene.id} already exists",
                    context={"scene_id": scene.id},
                ) from exc
            await conn.execute(
                "INSERT INTO scene_participants (scene_id, character_id, role, character_name)"
                " VALUES (%s, %s, 'owner', %s)",
                (scene.id, scene.owner_id, scene.owner_name),
            )
            await _record(
                conn,
                scene.id,
                OpsEventKind.LIFECYCLE_CREATED,
                scene.owner_id,
                None,
                {"visibility": str(scene.visibility), "from_template": False},
            )
            return await _load(conn, scene.id, lock=False)

    async def transition(
        self, scene_id: str, op: SceneOp, actor_id: str
    ) -> tuple[SceneRecord, SceneState]:
        target = op.spec.target
        if target is None or op not in LIFECYCLE_EVENT_KINDS:
            raise ValueError(f"{op} is not a lifecycle transition")
        async with self._transaction(f"{op.name_lower} scene") as conn:
            scene = await _load(conn, scene_id, lock=True)
            check_op(scene, op, actor_id)
            stamp = {
                SceneState.ENDED: ", ended_at = NOW()",
                SceneState.ARCHIVED: ", archived_at = NOW()",
            }.get(target, "")
            await conn.execute(
                "UPDATE scenes SET state = %s" + stamp + " WHERE id = %s",
                (str(target), scene_id),
            )
            await _record(
                conn,
                scene_id,
                LIFECYCLE_EVENT_KINDS[op],
                actor_id,
                None,
                {"prior_state": str(scene.state)},
            )
            return await _load(conn, scene_id, lock=False), scene.state

    async def update(self, scene_id: str, actor_id: str, update: SceneUpdate) -> SceneRecord:
        async with self._transaction("update scene") as conn:
            scene = await _load(conn, scene_id, lock=True)
            check_op(scene, SceneOp.UPDATE, actor_id)
            assignments: list[sql.Composable] = []
            values: list[Any] = []
            for column in _UPDATE_FIELDS:
                value = getattr(update, column)
                if value is None:
                    continue
                if isinstance(value, tuple):
                    value = list(value)
                elif column == "location_id" and value == "":
                    value = None
                elif isinstance(value, Visibility | PoseOrderMode):
                    value = str(value)
                assignments.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
                values.append(value)
            if not assignments:
                return scene
            await conn.execute(
                sql.SQL("UPDATE scenes SET {} WHERE id = %s").format(
                    sql.SQL(", ").join(assignments)
                ),
                (*values, scene_id),
            )
            await _record(
                conn,
                scene_id,
                OpsEventKind.SETTINGS_UPDATED,
                actor_id,
                None,
                {"paths": update.changed_fields()},
            )
            return await _load(conn, scene_id, lock=False)

    async def join(self, scene_id: str, character_id: str, character_name: str) -> JoinOutcome:
        async with self._transaction("join scene") as conn:
            scene = await _load(conn, scene_id, lock=True)
            check_join(scene, character_id)
            role = scene.role_of(character_id)
            if role is not None and role.is_participant:
                if character_name:
                    await _remember_name(conn, scene_id, character_id, character_name)
                return JoinOutcome.NO_CHANGE
            if role is ParticipantRole.INVITED:
                await conn.execute(
                    "UPDATE scene_participants SET role = 'member', joined_at = NOW(),"
                    " character_name = %s WHERE scene_id = %s AND character_id = %s",
                    (character_name, scene_id, character_id),
                )
                outcome = JoinOutcome.PROMOTED
            else:
                await conn.execute(
                    "INSERT INTO scene_participants (scene_id, character_id, role, character_name)"
                    " VALUES (%s, %s, 'member', %s)",
                    (scene_id, character_id, character_name),
                )
                outcome = JoinOutcome.INSERTED
            await _record(
                conn,
                scene_id,
                OpsEventKind.MEMBERSHIP_JOIN,
                character_id,
                character_id,
                {
                    "visibility": str(scene.visibility),
                    "from_invited": outcome is JoinOutcome.PROMOTED,
                },
            )
            return outcome

    async def leave(self, scene_id: str, character_id: str) -> ParticipantRole:
        async with self._transaction("leave scene") as conn:
            scene = await _load(conn, scene_id, lock=True)
            role = check_leave(scene, character_id)
            await _delete_participant(conn, scene_id, character_id)
            await _record(
                conn,
                scene_id,
                OpsEventKind.MEMBERSHIP_LEAVE,
                character_id,
                character_id,
                {"prior_role": str(role)},
            )
            return role

    async def invite(self, scene_id: str, actor_id: str, target_id: str) -> bool:
        async with self._transaction("invite to scene") as conn:
            scene = await _load(conn, scene_id, lock=True)
            if not check_invite(scene, actor_id, target_id):
                return False
            await conn.execute(
                "INSERT INTO scene_participants (scene_id, character_id, role)"
                " VALUES (%s, %s, 'invited')",
                (scene_id, target_id),
            )
            await _record(conn, scene_id, OpsEventKind.MEMBERSHIP_INVITE, actor_id, target_id, {})
            return True

    async def kick(self, scene_id: str, actor_id: str, target_id: str) -> ParticipantRole:
        async with self._transaction("kick from scene") as conn:
            scene = await _load(conn, scene_id, lock=True)
            role = check_kick(scene, actor_id, target_id)
            await _delete_participant(conn, scene_id, target_id)
            await _record(
                conn,
                scene_id,
                OpsEventKind.MEMBERSHIP_KICK,
                actor_id,
                target_id,
                {"prior_role": str(role)},
            )
            return role

    async def transfer(self, scene_id: str, actor_id: str, new_owner_id: str) -> bool:
        async with self._transaction("transfer ownership") as conn:
            scene = await _load(conn, scene_id, lock=True)
            if not check_transfer(scene, actor_id, new_owner_id):
                return False
            # Demote first: the one-owner index never sees two owners.
            await conn.execute(
                "UPDATE scene_participants SET role = 'member'"
                " WHERE scene_id = %s AND character_id = %s",
                (scene_id, actor_id),
            )
            await conn.execute(
                "UPDATE scene_participants SET role = 'owner'"
                " WHERE scene_id = %s AND character_id = %s",
                (scene_id, new_owner_id),
            )
            await conn.execute(
                "UPDATE scenes SET owner_id = %s WHERE id = %s", (new_owner_id, scene_id)
            )
            await _record(
                conn,
                scene_id,
                OpsEventKind.MEMBERSHIP_OWNERSHIP_TRANSFERRED,
                actor_id,
                new_owner_id,
                {"from": actor_id},
            )
            return True

    async def record_pose(
        self, scene_id: str, character_id: str, character_name: str, deliver: PoseDelivery
    ) -> SceneRecord:
        async with self._transaction("record pose") as conn:
            scene = await _load(conn, scene_id, lock=True)
            check_pose_turn(scene, await _standings(conn, scene_id), character_id)
            await conn.execute(
                "INSERT INTO scene_poses (id, scene_id, character_id) VALUES (%s, %s, %s)",
                (new_pose_id(), scene_id, character_id),
            )
            if character_name:
                await _remember_name(conn, scene_id, character_id, character_name)
            await _record(conn, scene_id, OpsEventKind.POSE_POSTED, character_id, None, {})
            await deliver(scene)
            return scene

    async def cast_vote(self, scene_id: str, character_id: str, vote: bool) -> VoteTally:
        async with self._transaction("cast publish vote") as conn:
            scene = await _load(conn, scene_id, lock=True)
            check_vote(scene, character_id)
            await conn.execute(
                "INSERT INTO scene_publish_votes (scene_id, character_id, vote)"
                " VALUES (%s, %s, %s) ON CONFLICT (scene_id, character_id)"
                " DO UPDATE SET vote = EXCLUDED.vote, cast_at = NOW()",
                (scene_id, character_id, vote),
            )
            await _record(
                conn, scene_id, OpsEventKind.PUBLISH_VOTE, character_id, None, {"vote": vote}
            )
            cur = await conn.execute(
                "SELECT count(*) FILTER (WHERE v.vote), count(*) FILTER (WHERE NOT v.vote)"
                " FROM scene_publish_votes v JOIN scene_participants p"
                "   ON p.scene_id = v.scene_id AND p.character_id = v.character_id"
                " WHERE v.scene_id = %s AND p.role IN ('owner', 'member')",
                (scene_id,),
            )
            counts = await cur.fetchone()
            assert counts is not None  # an aggregate always yields a row
            yes, no = int(counts[0]), int(counts[1])
            participants = len(scene.participant_ids)
            unanimous = participants > 0 and yes == participants
            if unanimous:
                await conn.execute(
                    "UPDATE scenes SET published_at = NOW() WHERE id = %s", (scene_id,)
                )
                await _record(
                    conn,
                    scene_id,
                    OpsEventKind.PUBLISH_PUBLISHED,
                    character_id,
                    None,
                    {"participants": participants},
                )
            return VoteTally(
                participants=participants,
                yes=yes,
                no=no,
                published=unanimous,
            )

    # --- plumbing ---------------------------------------------------------------------

    def _connection(self, operation: str) -> contextlib.AbstractAsyncContextManager[Conn]:
        return _guarded(self._pool, operation, transaction=False)

    def _transaction(self, operation: str) -> contextlib.AbstractAsyncContextManager[Conn]:
        return _guarded(self._pool, operation, transaction=True)


@contextlib.asynccontextmanager
async def _guarded(
    pool: storage.PluginPool, operation: str, *, transaction: bool
) -> AsyncIterator[Conn]:
    """A pooled connection, optionally in a transaction (rolled back if the body raises).
    Database errors, including a failed commit or an exhausted pool, come out as
    `SceneError` ``SCENE_STORE_FAILED`` naming the operation."""
    try:
        async with pool.connection() as conn:
            if transaction:
                async with conn.transaction():
                    yield conn
            else:
                yield conn
    except psycopg.Error as exc:
        raise SceneError(
            SceneErrorCode.STORE_FAILED,
            f"failed to {operation}: {type(exc).__name__}: {exc}",
            context={"op": operation},
        ) from exc


async def _load(conn: Conn, scene_id: str, *, lock: bool) -> SceneRecord:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        "SELECT " + _SCENE_COLUMNS + " FROM scenes WHERE id = %s" + (" FOR UPDATE" if lock else ""),
        (scene_id,),
    )
    row = await cur.fetchone()
    if row is None:
        raise not_found(scene_id)
    participants = await _participants_of(conn, [scene_id])
    return _scene_from_row(row, participants.get(scene_id, ()))


async def _participants_of(conn: Conn, scene_ids: list[str]) -> dict[str, list[ParticipantRecord]]:
    if not scene_ids:
        return {}
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        "SELECT scene_id, character_id, role, joined_at, character_name"
        " FROM scene_participants WHERE scene_id = ANY(%s)"
        " ORDER BY joined_at, character_id",
        (scene_ids,),
    )
    by_scene: dict[str, list[ParticipantRecord]] = {}
    for row in await cur.fetchall():
        by_scene.setdefault(row["scene_id"], []).append(_participant_from_row(row))
    return by_scene


async def _standings(conn: Conn, scene_id: str) -> list[PoserStanding]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        "WITH latest AS ("
        "  SELECT character_id, max(seq) AS last_seq, max(posed_at) AS last_at"
        "  FROM scene_poses WHERE scene_id = %(scene)s GROUP BY character_id)"
        " SELECT p.character_id, p.character_name, p.joined_at, latest.last_seq, latest.last_at,"
        "   (SELECT count(*) FROM scene_poses later"
        "    WHERE later.scene_id = %(scene)s AND later.seq > latest.last_seq) AS poses_since"
        " FROM scene_participants p LEFT JOIN latest USING (character_id)"
        " WHERE p.scene_id = %(scene)s AND p.role IN ('owner', 'member')"
        " ORDER BY p.joined_at, p.character_id",
        {"scene": scene_id},
    )
    return [
        PoserStanding(
            character_id=row["character_id"],
            character_name=row["character_name"],
            joined_at=row["joined_at"],
            last_pose_seq=row["last_seq"],
            last_posed_at=row["last_at"],
            poses_since=int(row["poses_since"] or 0),
        )
        for row in await cur.fetchall()
    ]


async def _delete_participant(conn: Conn, scene_id: str, character_id: str) -> None:
    await conn.execute(
        "DELETE FROM scene_participants WHERE scene_id = %s AND character_id = %s",
        (scene_id, character_id),
    )


async def _remember_name(conn: Conn, scene_id: str, character_id: str, name: str) -> None:
    await conn.execute(
        "UPDATE scene_participants SET character_name = %s"
        " WHERE scene_id = %s AND character_id = %s AND character_name <> %s",
        (name, scene_id, character_id, name),
    )


async def _record(
    conn: Conn,
    scene_id: str,
    kind: OpsEventKind | str,
    actor_id: str,
    target_id: str | None,
    payload: dict[str, Any] | None,
) -> None:
    """Append one ops event (the only statement that touches scene_ops_events)."""
    try:
        checked = OpsEventKind(kind)
    except ValueError:
        raise SceneError(
            SceneErrorCode.OPS_EVENT_INVALID_KIND,
            f"invalid ops event kind {kind!r}",
            context={"scene_id": scene_id, "kind": str(kind)},
        ) from None
    await conn.execute(
        "INSERT INTO scene_ops_events (id, scene_id, kind, actor_id, target_id, payload)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (
            new_ops_event_id(),
            scene_id,
            str(checked),
            actor_id,
            target_id or None,
            Jsonb(payload or {}),
        ),
    )
