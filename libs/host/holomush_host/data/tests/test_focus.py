"""FocusCoordinator: join / leave / present, each error code, streams and restore."""

from __future__ import annotations

import asyncio
import json

import pytest

from holomush_host.data.errors import FocusError, FocusErrorCode, InvalidInputError
from holomush_host.data.event_types import EventDraft, FromCursor
from holomush_host.data.focus import FocusCoordinator, ScenePolicy
from holomush_host.data.host_data import HostData
from holomush_host.data.ids import new_ulid
from holomush_host.data.sessions import SessionInfo
from holomush_sdk.focus import FocusKey, FocusKind

from .helpers import ALICE, take, take_until_barrier

SCENE_ID = "scene-01J0Z3V6Q2Y8K7M4N5P6R7S8DD"  # as core-scenes stores it
SCENE = FocusKey(FocusKind.SCENE, SCENE_ID)
OTHER_SCENE = FocusKey(FocusKind.SCENE, "scene-01J0Z3V6Q2Y8K7M4N5P6R7S8EE")
IC, OOC = f"scene:{SCENE_ID}:ic", f"scene:{SCENE_ID}:ooc"


async def new_session(data: HostData) -> SessionInfo:
    guest = await data.world.create_guest_character()
    return await data.sessions.create_session(guest.id)


async def expired_session(data: HostData) -> SessionInfo:
    session = await new_session(data)
    await data.sessions.end_session(session.id)
    return session


def assert_code(caught: pytest.ExceptionInfo[FocusError], code: FocusErrorCode) -> None:
    assert caught.value.code is code
    assert str(caught.value).startswith(f"{code}: ")


async def test_join_present_leave(data: HostData) -> None:
    session = await new_session(data)
    await data.focus.join_focus(session.id, SCENE)
    joined = await data.sessions.get_session(session.id)
    assert [(m.kind, m.target_id) for m in joined.focus_memberships] == [("scene", SCENE_ID)]

    await data.focus.present_focus(session.id, SCENE)
    assert (await data.sessions.get_session(session.id)).presenting == ("scene", SCENE_ID)

    await data.focus.leave_focus(session.id, SCENE)
    left = await data.sessions.get_session(session.id)
    assert left.focus_memberships == ()
    assert left.presenting is None
    await data.focus.leave_focus(session.id, SCENE)  # idempotent


@pytest.mark.parametrize("operation", ["join_focus", "leave_focus", "present_focus"])
async def test_session_not_found(data: HostData, operation: str) -> None:
    for session_id in (new_ulid(), "not-a-session"):
        with pytest.raises(FocusError) as caught:
            await getattr(data.focus, operation)(session_id, SCENE)
        assert_code(caught, FocusErrorCode.SESSION_NOT_FOUND)


@pytest.mark.parametrize("operation", ["join_focus", "leave_focus", "present_focus"])
async def test_session_expired(data: HostData, operation: str) -> None:
    session = await expired_session(data)
    with pytest.raises(FocusError) as caught:
        await getattr(data.focus, operation)(session.id, SCENE)
    assert_code(caught, FocusErrorCode.SESSION_EXPIRED)
    assert (await data.sessions.get_session(session.id)).focus_memberships == ()


async def test_unregistered_kind(data: HostData) -> None:
    session = await new_session(data)
    with pytest.raises(FocusError) as caught:
        await data.focus.join_focus(session.id, FocusKey("party", "p1"))
    assert_code(caught, FocusErrorCode.FOCUS_KIND_UNREGISTERED)
    assert (await data.sessions.get_session(session.id)).focus_memberships == ()


async def test_already_member(data: HostData) -> None:
    session = await new_session(data)
    await data.focus.join_focus(session.id, SCENE)
    with pytest.raises(FocusError) as caught:
        await data.focus.join_focus(session.id, SCENE)
    assert_code(caught, FocusErrorCode.FOCUS_ALREADY_MEMBER)
    assert len((await data.sessions.get_session(session.id)).focus_memberships) == 1


async def test_concurrent_joins_admit_one(data: HostData) -> None:
    session = await new_session(data)
    outcomes = await asyncio.gather(
        *(data.focus.join_focus(session.id, SCENE) for _ in range(4)), return_exceptions=True
    )
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(errors) == 3
    assert all(
        isinstance(e, FocusError) and e.code is FocusErrorCode.FOCUS_ALREADY_MEMBER for e in errors
    )


async def test_not_member(data: HostData) -> None:
    session = await new_session(data)
    await data.focus.join_focus(session.id, SCENE)
    await data.focus.present_focus(session.id, SCENE)
    with pytest.raises(FocusError) as caught:
        await data.focus.present_focus(session.id, OTHER_SCENE)
    assert_code(caught, FocusErrorCode.FOCUS_NOT_MEMBER)
    with pytest.raises(FocusError) as unknown_kind:
        await data.focus.present_focus(session.id, FocusKey("party", "p1"))
    assert_code(unknown_kind, FocusErrorCode.FOCUS_NOT_MEMBER)
    assert (await data.sessions.get_session(session.id)).presenting == ("scene", SCENE_ID)


async def test_policy_refusal_and_failure(data: HostData) -> None:
    asked: list[tuple[str, str]] = []

    async def only_open_scenes(session: SessionInfo, target_id: str) -> bool:
        asked.append((session.id, target_id))
        return target_id == SCENE_ID

    async def broken(session: SessionInfo, target_id: str) -> bool:
        raise RuntimeError("scene service unavailable")

    session = await new_session(data)
    data.focus.register_policy("scene", ScenePolicy(allow_join=only_open_scenes))
    with pytest.raises(FocusError) as refused:
        await data.focus.join_focus(session.id, OTHER_SCENE)
    assert_code(refused, FocusErrorCode.FOCUS_POLICY_FAILED)
    assert "does not allow" in refused.value.message
    await data.focus.join_focus(session.id, SCENE)
    assert asked == [(session.id, OTHER_SCENE.target_id), (session.id, SCENE_ID)]

    data.focus.register_policy("scene", ScenePolicy(allow_join=broken))
    with pytest.raises(FocusError) as failed:
        await data.focus.join_focus(session.id, OTHER_SCENE)
    assert_code(failed, FocusErrorCode.FOCUS_POLICY_FAILED)
    assert "scene service unavailable" in failed.value.message
    memberships = (await data.sessions.get_session(session.id)).focus_memberships
    assert [m.target_id for m in memberships] == [SCENE_ID]


async def test_bad_targets_are_refused(data: HostData) -> None:
    session = await new_session(data)
    for target in ("", "has space", "a:b", "x" * 129):
        with pytest.raises(InvalidInputError):
            await data.focus.join_focus(session.id, FocusKey(FocusKind.SCENE, target))
    assert (await data.sessions.get_session(session.id)).focus_memberships == ()


async def test_leaving_the_presented_focus_clears_it(data: HostData) -> None:
    session = await new_session(data)
    await data.focus.join_focus(session.id, SCENE)
    await data.focus.join_focus(session.id, OTHER_SCENE)
    await data.focus.present_focus(session.id, OTHER_SCENE)
    await data.focus.leave_focus(session.id, SCENE)
    assert (await data.sessions.get_session(session.id)).presenting == (
        "scene",
        OTHER_SCENE.target_id,
    )
    await data.focus.leave_focus(session.id, OTHER_SCENE)
    assert (await data.sessions.get_session(session.id)).presenting is None


async def test_streams_for_session(data: HostData) -> None:
    session = await new_session(data)
    await data.session_streams.add_session_stream(session.id, "weather:global")
    await data.focus.join_focus(session.id, SCENE)
    assert await data.focus.streams_for_session(session.id) == [
        f"character:{session.character_id}",
        f"location:{session.location_id}",
        "weather:global",
        IC,
        OOC,
    ]
    with pytest.raises(FocusError) as caught:
        await data.focus.streams_for_session(new_ulid())
    assert_code(caught, FocusErrorCode.SESSION_NOT_FOUND)


async def test_join_replays_the_ic_tail_and_starts_ooc_live(data: HostData) -> None:
    session = await new_session(data)
    ic_history = await data.events.append_many(
        [EventDraft(IC, "pose", ALICE, json.dumps({"n": n})) for n in range(5)]
    )
    await data.events.append(OOC, "say", ALICE)  # before the join: not replayed
    plan = await data.focus.restore_plan(session.id)
    async with data.events.subscribe(plan.streams) as live:
        data.stream_registry.register(session.id, live)
        await data.focus.join_focus(session.id, SCENE)
        assert await take(live, 3) == ic_history[-3:]
        ooc_now = await data.events.append(OOC, "say", ALICE)
        assert await take(live, 1) == [ooc_now]

        await data.focus.leave_focus(session.id, SCENE)
        assert set(live.streams) == set(plan.streams)
        later = await data.events.append(IC, "pose", ALICE)
        assert later not in await take_until_barrier(data.events, live, next(iter(plan.streams)))


async def test_restore_plan_resumes_focus_streams_from_cursors(data: HostData) -> None:
    session = await new_session(data)
    await data.events.append_many([EventDraft(IC, "pose", ALICE) for _ in range(6)])
    await data.focus.join_focus(session.id, SCENE)  # no live delivery: only stored
    await data.focus.present_focus(session.id, SCENE)
    missed = await data.events.append(OOC, "say", ALICE)

    plan = await data.focus.restore_plan(session.id)
    assert plan.presenting_stream == IC
    assert list(plan.streams) == [
        f"character:{session.character_id}",
        f"location:{session.location_id}",
        IC,
        OOC,
    ]
    ic_tail = await data.events.tail(IC, 3)
    async with data.events.subscribe(plan.streams) as restored:
        got = await take(restored, 4)
    assert [e.id for e in got] == sorted([*(e.id for e in ic_tail), missed.id])
    assert isinstance(plan.streams[OOC], FromCursor)


async def test_coordinator_without_policies_or_sender(data: HostData) -> None:
    bare = FocusCoordinator(data.pool, policies={})
    session = await new_session(data)
    with pytest.raises(FocusError) as caught:
        await bare.join_focus(session.id, SCENE)
    assert_code(caught, FocusErrorCode.FOCUS_KIND_UNREGISTERED)
    default = FocusCoordinator(data.pool)  # scene policy, no live delivery
    await default.join_focus(session.id, SCENE)
    await default.leave_focus(session.id, SCENE)


def test_scene_policy_tail_is_clamped() -> None:
    assert ScenePolicy(tail_count=50).tail_count == 10
    assert ScenePolicy(tail_count=-1).tail_count == 0
    assert ScenePolicy().tail_count == 3
