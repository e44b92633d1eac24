"""Event delivery by manifest ``events:`` to real plugin processes.

"Nothing more arrives" is shown without waiting a fixed time: a marker event appended
afterwards to the same stream is delivered in order, so once a plugin has seen the
marker it has had every earlier event of that stream.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from holomush_host.data.event_types import Actor, ActorKind, StoredEvent
from holomush_host.data.ids import new_ulid
from holomush_host.plugins.tests.conftest import System
from holomush_host.plugins.tests.helpers import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="package")


def alice(system: System) -> Actor:
    return Actor(ActorKind.CHARACTER, system.alice.id)


async def seen(system: System, plugin: str, stream: str) -> list[dict[str, Any]]:
    """The events ``plugin`` received on ``stream``, in delivery order."""
    reply = await system.manager.handle_command(plugin, system.request("seen"))
    return [e for e in json.loads(reply.output) if e["stream"] == stream]


async def has_seen(system: System, plugin: str, event: StoredEvent) -> bool:
    return any(e["id"] == event.id for e in await seen(system, plugin, event.stream))


async def stream_events(system: System, stream: str) -> list[StoredEvent]:
    return await system.data.events.tail(stream, 500)


async def test_echo_bot_echoes_each_say_once(system: System) -> None:
    location = f"location:{system.alice.location_id}"
    said: list[StoredEvent] = []
    for message in ("hello", "anyone here?"):
        say = await system.data.events.append(
            location, "say", alice(system), json.dumps({"message": message})
        )
        said.append(say)

        async def echoed(after: StoredEvent = say) -> bool:
            return any(e.id > after.id for e in await stream_events(system, location))

        await wait_for(echoed, what=f"echo-bot's echo of {message!r}")
    events = [e for e in await stream_events(system, location) if e.id >= said[0].id]
    assert [(e.type, e.actor, json.loads(e.payload)["message"]) for e in events] == [
        ("say", alice(system), "hello"),
        ("say", Actor(ActorKind.PLUGIN, "echo-bot"), "Echo: hello"),
        ("say", alice(system), "anyone here?"),
        ("say", Actor(ActorKind.PLUGIN, "echo-bot"), "Echo: anyone here?"),
    ]


async def test_a_plugin_never_receives_its_own_events(system: System) -> None:
    stream = f"fx:self-{new_ulid()}"
    trigger = await system.data.events.append(stream, "fx_self", alice(system))
    # zeta answers every fx_self with an fx_self of its own: the host must not hand
    # that answer back to zeta, or it would answer forever.
    await wait_for(
        lambda: _count(system, stream, 2), what="zeta's answer to the character's fx_self"
    )
    marker = await system.data.events.append(stream, "fx_mark", alice(system))
    await wait_for(lambda: has_seen(system, "zeta", marker), what="zeta to see the marker")
    assert [e["id"] for e in await seen(system, "zeta", stream)] == [trigger.id, marker.id]
    types = [(e.type, e.actor) for e in await stream_events(system, stream)]
    assert types == [
        ("fx_self", alice(system)),
        ("fx_self", Actor(ActorKind.PLUGIN, "zeta")),
        ("fx_mark", alice(system)),
    ]


async def test_reaction_chains_between_plugins_end(system: System) -> None:
    # zeta and alpha both answer fx_ping with fx_ping: each hears the other's answer.
    # With max_chain_depth 4 the chain is: the trigger, then 2 answers at each of the
    # depths 1..4; depth-4 answers are stored but not delivered.
    stream = f"fx:chain-{new_ulid()}"
    await system.data.events.append(stream, "fx_ping", alice(system))
    await wait_for(lambda: _count(system, stream, 9), what="the chain to reach depth 4")
    marker = await system.data.events.append(stream, "fx_mark", alice(system))
    await wait_for(lambda: has_seen(system, "zeta", marker), what="zeta to see the marker")
    await wait_for(lambda: has_seen(system, "alpha", marker), what="alpha to see the marker")
    events = await stream_events(system, stream)
    assert len(events) == 10  # nothing beyond depth 4, then the marker
    assert sum(1 for e in events if e.actor == Actor(ActorKind.PLUGIN, "zeta")) == 4
    assert sum(1 for e in events if e.actor == Actor(ActorKind.PLUGIN, "alpha")) == 4


async def test_a_hung_delivery_delays_only_its_own_stream(system: System) -> None:
    slow_stream = f"fx:slow-{new_ulid()}"
    other_stream = f"fx:other-{new_ulid()}"
    slow = await system.data.events.append(slow_stream, "fx_slow", alice(system))
    await wait_for(lambda: has_seen(system, "zeta", slow), what="zeta to start the slow event")
    behind = await system.data.events.append(slow_stream, "fx_mark", alice(system))
    other = await system.data.events.append(other_stream, "fx_mark", alice(system))
    location = f"location:{system.alice.location_id}"
    say = await system.data.events.append(
        location, "say", alice(system), json.dumps({"message": "still there?"})
    )
    # zeta's slow handler never returns; the call times out after 3 s. Meanwhile zeta
    # gets its other streams and echo-bot keeps echoing.
    await wait_for(lambda: has_seen(system, "zeta", other), what="zeta's other stream")
    await wait_for(lambda: _any_after(system, location, say), what="echo-bot while zeta is stuck")
    assert not await has_seen(system, "zeta", behind)  # in order: behind the hung call
    await wait_for(lambda: has_seen(system, "zeta", behind), what="the slow call's timeout")


async def test_a_failing_handler_does_not_stop_delivery(system: System) -> None:
    stream = f"fx:fail-{new_ulid()}"
    failing = await system.data.events.append(stream, "fx_fail", alice(system))
    after = await system.data.events.append(stream, "fx_mark", alice(system))
    await wait_for(lambda: has_seen(system, "zeta", after), what="the event after the failure")
    assert [e["id"] for e in await seen(system, "zeta", stream)] == [failing.id, after.id]


async def test_an_event_in_hand_when_the_plugin_dies_is_delivered_again(
    system: System, tmp_path: Path
) -> None:
    stream = f"fx:crash-{new_ulid()}"
    mark = tmp_path / "crashed-once"
    crash = await system.data.events.append(
        stream, "fx_crash_once", alice(system), json.dumps({"mark": str(mark)})
    )

    async def answered() -> bool:
        return any(e.type == "fx_redelivered" for e in await stream_events(system, stream))

    await wait_for(answered, within=60, what="zeta, restarted, to answer the event again")
    assert mark.read_text() == crash.id  # the first process died holding this event
    (reply,) = [e for e in await stream_events(system, stream) if e.type == "fx_redelivered"]
    assert json.loads(reply.payload) == {"id": crash.id}
    assert reply.actor == Actor(ActorKind.PLUGIN, "zeta")


async def _count(system: System, stream: str, expected: int) -> bool:
    return len(await stream_events(system, stream)) >= expected


async def _any_after(system: System, stream: str, event: StoredEvent) -> bool:
    return any(e.id > event.id for e in await stream_events(system, stream))
