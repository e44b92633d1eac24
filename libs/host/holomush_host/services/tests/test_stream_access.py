"""The QueryStreamHistory entitlement rule (see `stream_access`'s docstring)."""

from __future__ import annotations

import grpc
import pytest

from holomush_host.data.errors import DataErrorCode, NotFoundError
from holomush_host.services.call_context import CallContext, CallKind, InFlightCalls
from holomush_host.services.identity import PluginIdentity
from holomush_host.services.status import HostServiceError
from holomush_host.services.stream_access import STREAM_ACCESS_DENIED, StreamAccess
from holomush_sdk.actor import Actor
from holomush_sdk.events import ActorKind

SCENES = PluginIdentity("core-scenes", frozenset({"scene"}))
ALICE = Actor(ActorKind.CHARACTER, "alice")
SESSION_STREAMS = {"s1": ["character:alice", "location:here", "scene:scene-1:ic"]}


async def streams_of(session_id: str) -> list[str]:
    if session_id not in SESSION_STREAMS:
        raise NotFoundError(DataErrorCode.SESSION_NOT_FOUND, "gone")
    return SESSION_STREAMS[session_id]


async def assert_denied(access: StreamAccess, calls: InFlightCalls, stream: str) -> None:
    with pytest.raises(HostServiceError) as caught:
        await access.check_read(SCENES, calls, stream)
    assert caught.value.code == STREAM_ACCESS_DENIED
    assert caught.value.status is grpc.StatusCode.PERMISSION_DENIED


async def test_own_namespaces_are_always_readable() -> None:
    access = StreamAccess(streams_of)
    await access.check_read(SCENES, InFlightCalls(), "scene:anything:ooc")
    await assert_denied(access, InFlightCalls(), "location:here")


async def test_a_commands_session_streams_are_readable_while_it_runs() -> None:
    access = StreamAccess(streams_of)
    calls = InFlightCalls()
    command = CallContext(CallKind.COMMAND, ALICE, 0, session_id="s1")
    with calls.track(command):
        await access.check_read(SCENES, calls, "location:here")
        await access.check_read(SCENES, calls, "character:alice")
        await assert_denied(access, calls, "character:bob")
    await assert_denied(access, calls, "location:here")


async def test_a_delivered_events_stream_is_readable_while_it_is_handled() -> None:
    access = StreamAccess(streams_of)
    calls = InFlightCalls()
    with calls.track(CallContext(CallKind.EVENT, ALICE, 1, streams=("location:there",))):
        await access.check_read(SCENES, calls, "location:there")
    await assert_denied(access, calls, "location:there")


async def test_an_ended_session_grants_nothing() -> None:
    access = StreamAccess(streams_of)
    calls = InFlightCalls()
    with calls.track(CallContext(CallKind.COMMAND, ALICE, 0, session_id="gone")):
        await assert_denied(access, calls, "location:here")


def test_sessions_may_only_be_given_streams_of_own_namespaces() -> None:
    StreamAccess.check_subscribe(SCENES, "scene:scene-1:ic")
    with pytest.raises(HostServiceError) as caught:
        StreamAccess.check_subscribe(SCENES, "character:bob")
    assert caught.value.code == STREAM_ACCESS_DENIED
