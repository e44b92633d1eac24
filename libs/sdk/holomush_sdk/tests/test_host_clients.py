import grpc
import pytest

from holomush_sdk import (
    Actor,
    ActorKind,
    BrokerServiceError,
    EmitIntent,
    EventSink,
    HostCallError,
    PluginHost,
    RequiredServices,
    StreamReplayMode,
    actor_scope,
)
from holomush_sdk.tests.fake_host import EmittedEvent


async def test_event_sink_sends_payload_as_bytes_without_actor_outside_a_call(plugin_host):
    sink = plugin_host.host.events
    assert isinstance(sink, EventSink)
    await sink.emit(EmitIntent("scene:1", "scene_created", '{"id":"1"}'))
    assert plugin_host.fake.state.emitted == [
        EmittedEvent("scene:1", "scene_created", b'{"id":"1"}', None)
    ]


async def test_event_sink_forwards_current_actor_or_an_explicit_one(plugin_host):
    sink = plugin_host.host.events
    with actor_scope(Actor(ActorKind.CHARACTER, "char-1")):
        await sink.emit(EmitIntent("scene:1", "a"))
        await sink.emit(EmitIntent("scene:1", "b"), actor=Actor(ActorKind.SYSTEM, "sys"))
    assert [e.actor for e in plugin_host.fake.state.emitted] == [
        Actor(ActorKind.CHARACTER, "char-1"),
        Actor(ActorKind.SYSTEM, "sys"),
    ]


async def test_event_sink_wraps_host_errors_with_the_stream(plugin_host):
    with pytest.raises(HostCallError) as caught:
        await plugin_host.host.events.emit(EmitIntent("forbidden:1", "x"))
    assert caught.value.status is grpc.StatusCode.PERMISSION_DENIED
    assert caught.value.code == "PLUGIN_EMIT_DENIED"
    assert str(caught.value) == (
        'emit event to stream "forbidden:1": '
        'PLUGIN_EMIT_DENIED: plugin may not emit to namespace "forbidden"'
    )


async def test_all_clients_share_one_broker_connection(plugin_host):
    plugin_host.fake.state.sessions.add("s1")
    host = plugin_host.host
    await host.events.emit(EmitIntent("scene:1", "x"))
    await host.kv.set("k", "v")
    await host.log.info("hello")
    await host.session_streams.add("s1", "scene:1:ic")
    assert plugin_host.broker.dials == [1]


async def test_kv_get_set_delete(plugin_host):
    kv = plugin_host.host.kv
    assert await kv.get("missing") is None
    await kv.set("greeting", "hi")
    assert await kv.get("greeting") == "hi"
    await kv.set("empty", "")
    assert await kv.get("empty") == ""  # found, empty value: not None
    await kv.delete("greeting")
    await kv.delete("greeting")
    assert await kv.get("greeting") is None
    assert set(plugin_host.fake.state.kv_names) == {"test-plugin"}


async def test_log_levels_and_truncation(plugin_host):
    log = plugin_host.host.log
    await log.debug("d")
    await log.info("i")
    await log.warn("w")
    await log.error("e")
    await log.log("info", "x" * 10_000)
    logs = plugin_host.fake.state.logs
    assert [level for level, _ in logs] == ["debug", "info", "warn", "error", "info"]
    assert len(logs[-1][1]) == 8192
    assert logs[-1][1].endswith("…")


async def test_session_streams(plugin_host):
    streams = plugin_host.host.session_streams
    plugin_host.fake.state.sessions.add("s1")
    await streams.add("s1", "scene:1:ic")
    await streams.add("s1", "scene:1:ooc", StreamReplayMode.LIVE_ONLY)
    assert plugin_host.fake.state.session_streams["s1"] == {"scene:1:ic": 1, "scene:1:ooc": 2}
    await streams.remove("s1", "scene:1:ic")
    await streams.remove("s1", "scene:1:ic")
    assert plugin_host.fake.state.session_streams["s1"] == {"scene:1:ooc": 2}
    with pytest.raises(HostCallError) as caught:
        await streams.add("nope", "x:1")
    assert caught.value.code == "SESSION_NOT_FOUND"
    assert caught.value.status is grpc.StatusCode.NOT_FOUND


async def test_clients_without_plugin_host_service_say_so():
    host = PluginHost(RequiredServices({}, None), plugin_name="p")
    with pytest.raises(BrokerServiceError, match='PluginHostService" not found in required'):
        await host.kv.get("k")
