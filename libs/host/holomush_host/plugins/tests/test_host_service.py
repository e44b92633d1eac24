"""PluginHostService, called by real plugin processes over their broker connection.

``fx host <Method> <json>`` makes the fixture plugin send one raw request and report the
gRPC outcome, so each RPC's result and error codes are checked exactly as a plugin
receives them; ``fx focus …`` / ``fx emit …`` check the SDK's view of the same errors.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from holomush_host.data.event_types import Actor, ActorKind, EventDraft
from holomush_host.data.ids import new_ulid
from holomush_host.plugins.tests.conftest import PRIVATE_SCENE, System
from holomush_host.plugins.tests.helpers import host_call

pytestmark = pytest.mark.asyncio(loop_scope="package")


def payload(value: object) -> str:
    """A ``bytes`` field in proto JSON: base64."""
    return base64.b64encode(json.dumps(value).encode()).decode()


async def call(system: System, plugin: str, method: str, **body: Any) -> dict[str, Any]:
    return await host_call(system.manager, plugin, system.request("init"), method, body)


def refused(outcome: dict[str, Any], code: str, prefix: str) -> str:
    assert outcome["ok"] is False, outcome
    assert outcome["code"] == code, outcome
    details: str = outcome["details"]
    assert details.startswith(prefix), details
    return details


# -- EmitEvent ----------------------------------------------------------------------------


async def test_emit_event_is_stamped_with_the_plugin(system: System) -> None:
    stream = f"fx:emit-{new_ulid()}"
    outcome = await call(
        system, "plain", "EmitEvent", stream=stream, event_type="note", payload=payload({"n": 1})
    )
    assert outcome == {"ok": True, "response": {}}
    [event] = await system.data.events.tail(stream, 10)
    assert (event.type, json.loads(event.payload)) == ("note", {"n": 1})
    assert event.actor == Actor(ActorKind.PLUGIN, "plain")


async def test_emit_event_keeps_the_actor_of_the_command_in_flight(system: System) -> None:
    stream = f"fx:emit-{new_ulid()}"
    await call(
        system,
        "plain",
        "EmitEvent",
        stream=stream,
        event_type="note",
        payload=payload({}),
        _as_caller=True,
    )
    [event] = await system.data.events.tail(stream, 10)
    assert event.actor == Actor(ActorKind.CHARACTER, system.alice.id)


async def test_emit_event_ignores_an_actor_the_host_did_not_hand_over(system: System) -> None:
    stream = f"fx:emit-{new_ulid()}"
    await call(
        system,
        "plain",
        "EmitEvent",
        stream=stream,
        event_type="note",
        payload=payload({}),
        _actor=["CHARACTER", "01J0Z3V6Q2Y8K7M4N5P6R7S8XX"],
    )
    [event] = await system.data.events.tail(stream, 10)
    assert event.actor == Actor(ActorKind.PLUGIN, "plain")


async def test_emit_outside_the_manifest_emits_is_refused(system: System) -> None:
    location = f"location:{system.alice.location_id}"
    before = await system.data.events.tail(location, 500)
    outcome = await call(
        system,
        "plain",
        "EmitEvent",
        stream=location,
        event_type="say",
        payload=payload({"message": "spoof"}),
    )
    details = refused(outcome, "PERMISSION_DENIED", "PLUGIN_EMIT_DENIED: ")
    assert 'plugin may not emit to namespace "location"' in details
    assert await system.data.events.tail(location, 500) == before
    # The SDK's EventSink sees the same refusal, code and all.
    reply = await system.run("plain", f"emit {location}")
    assert reply.output.startswith("PLUGIN_EMIT_DENIED|PERMISSION_DENIED|")


@pytest.mark.parametrize(
    ("body", "code", "prefix"),
    [
        (
            {"stream": "", "event_type": "x"},
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT: request validation failed: stream: value length must be at least 1",
        ),
        ({"stream": "fx", "event_type": "x"}, "INVALID_ARGUMENT", "INVALID_ARGUMENT: stream"),
        (
            {"stream": "fx:a", "event_type": "x", "payload": base64.b64encode(b"{nope").decode()},
            "INVALID_ARGUMENT",
            "EVENT_PAYLOAD_INVALID_JSON: event payload must be valid JSON",
        ),
        (
            {"stream": "fx:a", "event_type": "x", "_fill": {"payload": 65536}},
            "INVALID_ARGUMENT",
            "EVENT_PAYLOAD_TOO_LARGE: ",
        ),
    ],
)
async def test_emit_event_rejects_bad_events(
    system: System, body: dict[str, Any], code: str, prefix: str
) -> None:
    refused(await call(system, "plain", "EmitEvent", **body), code, prefix)


# -- Log ----------------------------------------------------------------------------------


async def test_log_goes_to_host_logging_under_the_plugin_name(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="holomush.plugin"):
        outcome = await call(system, "plain", "Log", level="warn", message="disk nearly full")
    assert outcome["ok"] is True
    [record] = [r for r in caplog.records if r.getMessage() == "disk nearly full"]
    assert record.name == "holomush.plugin.plain"
    assert record.levelno == logging.WARNING
    assert getattr(record, "plugin", None) == "plain"


async def test_log_rejects_unknown_levels_and_long_messages(system: System) -> None:
    refused(
        await call(system, "plain", "Log", level="loud", message="x"),
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT: unknown log level",
    )
    refused(
        await call(system, "plain", "Log", level="info", _fill={"message": 8193}),
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT: request validation failed: message",
    )


# -- KV -----------------------------------------------------------------------------------


async def test_kv_round_trip(system: System) -> None:
    assert (await call(system, "plain", "KVSet", plugin_name="plain", key="colour", value="red"))[
        "ok"
    ]
    got = await call(system, "plain", "KVGet", plugin_name="plain", key="colour")
    assert got["response"] == {"value": "red", "found": True}
    assert (await call(system, "plain", "KVDelete", plugin_name="plain", key="colour"))["ok"]
    assert (await call(system, "plain", "KVDelete", plugin_name="plain", key="colour"))["ok"]
    gone = await call(system, "plain", "KVGet", plugin_name="plain", key="colour")
    assert gone["response"] == {}  # found=false, value="" (defaults are not printed)
    refused(
        await call(system, "plain", "KVGet", plugin_name="plain", key=""),
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT: request validation failed: key",
    )


async def test_kv_is_scoped_by_the_connection_not_the_request(system: System) -> None:
    await call(system, "zeta", "KVSet", plugin_name="zeta", key="shared", value="zeta's")
    # alpha claims to be zeta: its write still lands in alpha's own namespace.
    await call(system, "alpha", "KVSet", plugin_name="zeta", key="shared", value="alpha's")
    zeta = await call(system, "zeta", "KVGet", plugin_name="zeta", key="shared")
    alpha = await call(system, "alpha", "KVGet", plugin_name="zeta", key="shared")
    assert zeta["response"]["value"] == "zeta's"
    assert alpha["response"]["value"] == "alpha's"
    assert await system.data.kv.for_plugin("zeta").get("shared") == "zeta's"
    assert await system.data.kv.for_plugin("alpha").get("shared") == "alpha's"


# -- session streams ------------------------------------------------------------------------


async def test_session_streams(system: System) -> None:
    stream = f"fx:extra-{new_ulid()}"
    session = system.session.id
    assert (
        await call(
            system,
            "plain",
            "AddSessionStream",
            session_id=session,
            stream=stream,
            replay_mode="STREAM_REPLAY_MODE_LIVE_ONLY",
        )
    )["ok"]
    assert stream in (await system.data.sessions.get_session(session)).session_streams
    assert (await call(system, "plain", "RemoveSessionStream", session_id=session, stream=stream))[
        "ok"
    ]
    assert (await call(system, "plain", "RemoveSessionStream", session_id=session, stream=stream))[
        "ok"
    ]  # idempotent
    assert stream not in (await system.data.sessions.get_session(session)).session_streams


async def test_session_stream_errors(system: System) -> None:
    session = system.session.id
    refused(
        await call(system, "plain", "AddSessionStream", session_id=new_ulid(), stream="fx:a"),
        "NOT_FOUND",
        "SESSION_NOT_FOUND: ",
    )
    refused(
        await call(
            system,
            "plain",
            "AddSessionStream",
            session_id=session,
            stream=f"character:{new_ulid()}",
        ),
        "PERMISSION_DENIED",
        "STREAM_ACCESS_DENIED: ",
    )
    refused(
        await call(
            system, "plain", "AddSessionStream", session_id=session, stream="fx:a", replay_mode=7
        ),
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT: ",
    )
    expired = await _expired_session(system)
    refused(
        await call(system, "plain", "AddSessionStream", session_id=expired, stream="fx:a"),
        "FAILED_PRECONDITION",
        "SESSION_EXPIRED: ",
    )
    refused(
        await call(system, "plain", "RemoveSessionStream", session_id=new_ulid(), stream="fx:a"),
        "NOT_FOUND",
        "SESSION_NOT_FOUND: ",
    )


async def _expired_session(system: System) -> str:
    guest = await system.data.world.create_guest_character()
    session = await system.data.sessions.create_session(guest.id)
    await system.data.sessions.end_session(session.id)
    return session.id


# -- focus --------------------------------------------------------------------------------


def scene(target: str, kind: str = "FOCUS_KIND_SCENE") -> dict[str, str]:
    return {"kind": kind, "target_id": target}


async def test_focus_lifecycle(system: System) -> None:
    session = system.session.id
    target = f"scene-{new_ulid()}"
    assert (await call(system, "plain", "JoinFocus", session_id=session, target=scene(target)))[
        "ok"
    ]
    refused(
        await call(
            system, "plain", "PresentFocus", session_id=session, target=scene(f"scene-{new_ulid()}")
        ),
        "FAILED_PRECONDITION",
        "FOCUS_NOT_MEMBER: ",
    )
    assert (await call(system, "plain", "PresentFocus", session_id=session, target=scene(target)))[
        "ok"
    ]
    info = await system.data.sessions.get_session(session)
    assert info.presenting == ("scene", target)
    assert (await call(system, "plain", "LeaveFocus", session_id=session, target=scene(target)))[
        "ok"
    ]
    assert (await call(system, "plain", "LeaveFocus", session_id=session, target=scene(target)))[
        "ok"
    ]
    info = await system.data.sessions.get_session(session)
    assert not info.is_member("scene", target)
    assert info.presenting is None


async def test_focus_errors_carry_the_six_codes(system: System) -> None:
    session = system.session.id
    target = f"scene-{new_ulid()}"
    await call(system, "plain", "JoinFocus", session_id=session, target=scene(target))
    expired = await _expired_session(system)
    cases = [
        ("JoinFocus", new_ulid(), scene(target), "NOT_FOUND", "SESSION_NOT_FOUND"),
        ("JoinFocus", expired, scene(target), "FAILED_PRECONDITION", "SESSION_EXPIRED"),
        ("JoinFocus", session, scene(target), "ALREADY_EXISTS", "FOCUS_ALREADY_MEMBER"),
        (
            "JoinFocus",
            session,
            scene(target, "FOCUS_KIND_UNSPECIFIED"),
            "INVALID_ARGUMENT",
            "FOCUS_KIND_UNREGISTERED",
        ),
        ("JoinFocus", session, scene(PRIVATE_SCENE), "INTERNAL", "FOCUS_POLICY_FAILED"),
        (
            "PresentFocus",
            session,
            scene(f"scene-{new_ulid()}"),
            "FAILED_PRECONDITION",
            "FOCUS_NOT_MEMBER",
        ),
    ]
    for method, session_id, key, status, code in cases:
        outcome = await call(system, "plain", method, session_id=session_id, target=key)
        refused(outcome, status, f"{code}: ")
    await call(system, "plain", "LeaveFocus", session_id=session, target=scene(target))


async def test_the_sdk_focus_client_sees_the_same_codes(system: System) -> None:
    session = system.session.id
    target = f"scene-{new_ulid()}"
    expired = await _expired_session(system)

    async def focus(args: str) -> str:
        return (await system.run("plain", f"focus {args}")).output

    assert await focus(f"join {session} scene {target}") == "ok"
    assert await focus(f"join {session} scene {target}") == (
        "error FOCUS_ALREADY_MEMBER ALREADY_EXISTS"
    )
    assert await focus(f"join {new_ulid()} scene {target}") == ("error SESSION_NOT_FOUND NOT_FOUND")
    assert await focus(f"join {expired} scene {target}") == (
        "error SESSION_EXPIRED FAILED_PRECONDITION"
    )
    assert await focus(f"join {session} mail {target}") == (
        "error FOCUS_KIND_UNREGISTERED INVALID_ARGUMENT"
    )
    assert await focus(f"join {session} scene {PRIVATE_SCENE}") == (
        "error FOCUS_POLICY_FAILED INTERNAL"
    )
    assert await focus(f"present {session} scene scene-{new_ulid()}") == (
        "error FOCUS_NOT_MEMBER FAILED_PRECONDITION"
    )
    assert await focus(f"leave {session} scene {target}") == "ok"


# -- QueryStreamHistory -----------------------------------------------------------------------


async def test_history_of_an_own_namespace_is_capped_at_500(system: System) -> None:
    stream = f"fx:history-{new_ulid()}"
    author = Actor(ActorKind.SYSTEM, "test")
    drafts = [EventDraft(stream, "note", author, json.dumps({"n": n})) for n in range(510)]
    stored = await system.data.events.append_many(drafts)
    everything = await call(system, "plain", "QueryStreamHistory", stream=stream, count=1000)
    events = everything["response"]["events"]
    assert len(events) == 500
    assert [e["id"] for e in events] == [e.id for e in stored[-500:]]
    assert events[0]["actor_kind"] == "system"
    assert events[0]["timestamp"] == str(stored[10].timestamp_ms)  # int64 → JSON string
    two = await call(system, "plain", "QueryStreamHistory", stream=stream, count=2)
    assert [e["id"] for e in two["response"]["events"]] == [e.id for e in stored[-2:]]
    none = await call(system, "plain", "QueryStreamHistory", stream=stream, count=0)
    assert none["response"] == {}
    later = stored[-1].timestamp_ms + 60_000
    recent = await call(
        system, "plain", "QueryStreamHistory", stream=stream, count=5, not_before_ms=later
    )
    assert recent["response"] == {}
    refused(
        await call(system, "plain", "QueryStreamHistory", stream=stream, count=-1),
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT: count must be non-negative",
    )


async def test_history_of_streams_the_command_involves(system: System) -> None:
    # alpha does not own "location" or "scene", but the command it is handling comes
    # from alice's session: her location and her focus streams are readable now.
    location = await call(
        system,
        "alpha",
        "QueryStreamHistory",
        stream=f"location:{system.alice.location_id}",
        count=1,
    )
    assert location["ok"] is True
    target = f"scene-{new_ulid()}"
    await call(system, "plain", "JoinFocus", session_id=system.session.id, target=scene(target))
    ic = await call(system, "alpha", "QueryStreamHistory", stream=f"scene:{target}:ic", count=1)
    assert ic["ok"] is True
    await call(system, "plain", "LeaveFocus", session_id=system.session.id, target=scene(target))
    refused(
        await call(system, "alpha", "QueryStreamHistory", stream=f"scene:{target}:ic", count=1),
        "PERMISSION_DENIED",
        "STREAM_ACCESS_DENIED: ",
    )
    refused(
        await call(
            system, "alpha", "QueryStreamHistory", stream=f"character:{new_ulid()}", count=1
        ),
        "PERMISSION_DENIED",
        "STREAM_ACCESS_DENIED: ",
    )
