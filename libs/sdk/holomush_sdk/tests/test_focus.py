from datetime import UTC, datetime, timedelta, timezone

import grpc
import pytest

from holomush.plugin.v1 import plugin_pb2
from holomush_sdk import (
    Actor,
    ActorKind,
    FocusClient,
    FocusError,
    FocusErrorCode,
    FocusKey,
    FocusKind,
    QueryStreamHistoryRequest,
    actor_scope,
)
from holomush_sdk.focus import focus_error_code, focus_kind_to_proto

S = grpc.StatusCode


@pytest.mark.parametrize(
    ("status", "message", "code"),
    [
        # a known code in the message wins over the gRPC status
        (S.UNKNOWN, "FOCUS_ALREADY_MEMBER", FocusErrorCode.FOCUS_ALREADY_MEMBER),
        (S.UNKNOWN, "FOCUS_NOT_MEMBER: not a member", FocusErrorCode.FOCUS_NOT_MEMBER),
        (S.NOT_FOUND, "SESSION_EXPIRED: gone", FocusErrorCode.SESSION_EXPIRED),
        (S.INTERNAL, "FOCUS_KIND_UNREGISTERED:x", FocusErrorCode.FOCUS_KIND_UNREGISTERED),
        (S.UNKNOWN, "SESSION_NOT_FOUND: s1", FocusErrorCode.SESSION_NOT_FOUND),
        (S.UNKNOWN, "FOCUS_POLICY_FAILED: nope", FocusErrorCode.FOCUS_POLICY_FAILED),
        # otherwise the gRPC status decides
        (S.NOT_FOUND, "no such session", FocusErrorCode.SESSION_NOT_FOUND),
        (S.ALREADY_EXISTS, "dup", FocusErrorCode.FOCUS_ALREADY_MEMBER),
        (S.FAILED_PRECONDITION, "expired", FocusErrorCode.SESSION_EXPIRED),
        (S.INVALID_ARGUMENT, "unknown focus kind", FocusErrorCode.FOCUS_KIND_UNREGISTERED),
        (S.INTERNAL, "policy blew up", FocusErrorCode.FOCUS_POLICY_FAILED),
        # anything else carries no code
        (S.UNKNOWN, "something", None),
        (S.UNAVAILABLE, "down", None),
        (S.PERMISSION_DENIED, "OTHER_CODE: x", None),
        # a message stamped with a non-focus code is not a focus error, whatever the status
        (S.INVALID_ARGUMENT, "INVALID_ARGUMENT: bad target id", None),
        (S.NOT_FOUND, "STREAM_ACCESS_DENIED: no", None),
    ],
)
def test_focus_error_code_mapping(status, message, code):
    assert focus_error_code(status, message) is code


def test_focus_kind_mapping():
    assert focus_kind_to_proto(FocusKind.SCENE) == plugin_pb2.FOCUS_KIND_SCENE
    assert focus_kind_to_proto("scene") == plugin_pb2.FOCUS_KIND_SCENE
    assert focus_kind_to_proto("mail") == plugin_pb2.FOCUS_KIND_UNSPECIFIED


SCENE = FocusKey(FocusKind.SCENE, "01HSCENE")


async def test_join_present_leave_round_trip(plugin_host):
    plugin_host.fake.state.sessions.add("s1")
    focus = plugin_host.host.focus
    assert isinstance(focus, FocusClient)
    await focus.join_focus("s1", SCENE)
    assert plugin_host.fake.state.memberships["s1"] == [(plugin_pb2.FOCUS_KIND_SCENE, "01HSCENE")]
    await focus.present_focus("s1", SCENE)
    assert plugin_host.fake.state.presenting["s1"] == (plugin_pb2.FOCUS_KIND_SCENE, "01HSCENE")
    await focus.leave_focus("s1", SCENE)
    await focus.leave_focus("s1", SCENE)  # idempotent
    assert plugin_host.fake.state.memberships["s1"] == []
    assert "s1" not in plugin_host.fake.state.presenting


async def test_host_errors_arrive_as_focus_codes(plugin_host):
    state = plugin_host.fake.state
    state.sessions.update({"s1", "old"})
    state.expired_sessions.add("old")
    focus = plugin_host.host.focus

    with pytest.raises(FocusError) as missing:
        await focus.join_focus("nope", SCENE)
    assert missing.value.code is FocusErrorCode.SESSION_NOT_FOUND
    assert missing.value.status is S.NOT_FOUND
    assert str(missing.value) == "join focus: SESSION_NOT_FOUND: nope"
    assert missing.value.context == {
        "operation": "join focus",
        "session_id": "nope",
        "focus_kind": "scene",
        "target_id": "01HSCENE",
    }

    with pytest.raises(FocusError) as expired:
        await focus.join_focus("old", SCENE)
    assert expired.value.code is FocusErrorCode.SESSION_EXPIRED

    with pytest.raises(FocusError) as kind:
        await focus.join_focus("s1", FocusKey("mail", "x"))
    assert kind.value.code is FocusErrorCode.FOCUS_KIND_UNREGISTERED

    with pytest.raises(FocusError) as not_member:
        await focus.present_focus("s1", SCENE)
    assert not_member.value.code is FocusErrorCode.FOCUS_NOT_MEMBER
    assert not not_member.value.is_already_member

    await focus.join_focus("s1", SCENE)
    with pytest.raises(FocusError) as dup:
        await focus.join_focus("s1", SCENE)
    assert dup.value.code is FocusErrorCode.FOCUS_ALREADY_MEMBER
    assert dup.value.is_already_member
    await focus.join_focus("s1", SCENE, exist_ok=True)  # idempotent success


async def test_exist_ok_does_not_hide_other_errors(plugin_host):
    with pytest.raises(FocusError) as caught:
        await plugin_host.host.focus.join_focus("nope", SCENE, exist_ok=True)
    assert caught.value.code is FocusErrorCode.SESSION_NOT_FOUND


async def test_focus_calls_forward_the_current_actor(plugin_host):
    plugin_host.fake.state.sessions.add("s1")
    with actor_scope(Actor(ActorKind.CHARACTER, "char-1")):
        await plugin_host.host.focus.join_focus("s1", SCENE)
    assert plugin_host.fake.state.focus_actors == [Actor(ActorKind.CHARACTER, "char-1")]


async def test_query_stream_history_converts_and_clamps(plugin_host):
    history = [
        plugin_pb2.Event(
            id=f"0{i}",
            stream="scene:1:ic",
            type="pose",
            timestamp=1000 * i,
            actor_kind="bogus" if i == 3 else "plugin",
            actor_id="a",
            payload="{}",
        )
        for i in range(1, 6)
    ]
    plugin_host.fake.state.history["scene:1:ic"] = history
    focus = plugin_host.host.focus

    events = await focus.query_stream_history(QueryStreamHistoryRequest("scene:1:ic", count=3))
    assert [e.id for e in events] == ["03", "04", "05"]
    assert events[0].actor_kind is ActorKind.CHARACTER  # unknown kind string
    assert events[1].actor_kind is ActorKind.PLUGIN

    floor = datetime.fromtimestamp(4, tz=UTC)
    events = await focus.query_stream_history(
        QueryStreamHistoryRequest("scene:1:ic", count=10, not_before=floor)
    )
    assert [e.id for e in events] == ["04", "05"]

    await focus.query_stream_history(QueryStreamHistoryRequest("scene:1:ic", count=-5))
    await focus.query_stream_history(QueryStreamHistoryRequest("scene:1:ic", count=2**40))
    naive = datetime(1970, 1, 1, 0, 0, 2)
    await focus.query_stream_history(QueryStreamHistoryRequest("x:1", not_before=naive))
    other_zone = datetime(1970, 1, 1, 1, 0, 3, tzinfo=timezone(timedelta(hours=1)))
    await focus.query_stream_history(QueryStreamHistoryRequest("x:1", not_before=other_zone))
    sent = plugin_host.fake.state.history_requests
    assert [(r.count, r.not_before_ms) for r in sent] == [
        (3, 0),
        (10, 4000),
        (0, 0),
        (2**30, 0),
        (20, 2000),
        (20, 3000),
    ]
