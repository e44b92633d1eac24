"""Which actors and depths a plugin's callbacks are trusted with."""

from __future__ import annotations

from holomush_host.services.call_context import CallContext, CallKind, InFlightCalls
from holomush_sdk.actor import Actor
from holomush_sdk.events import ActorKind

ALICE = Actor(ActorKind.CHARACTER, "alice")
BOB = Actor(ActorKind.CHARACTER, "bob")


def test_an_actor_is_trusted_only_while_a_call_for_it_is_in_flight() -> None:
    calls = InFlightCalls()
    command = CallContext(CallKind.COMMAND, ALICE, 0, session_id="s1", streams=("location:l",))
    assert calls.matching(ALICE) is None
    with calls.track(command):
        assert calls.matching(ALICE) is command
        assert calls.matching(BOB) is None
        assert calls.matching(None) is None
        assert calls.session_ids() == ("s1",)
        assert calls.handed_streams() == frozenset({"location:l"})
    assert calls.matching(ALICE) is None
    assert len(calls) == 0


def test_the_deepest_matching_call_wins() -> None:
    calls = InFlightCalls()
    shallow = CallContext(CallKind.COMMAND, ALICE, 0)
    deep = CallContext(CallKind.EVENT, ALICE, 3, streams=("fx:a",))
    with calls.track(shallow), calls.track(deep):
        assert calls.matching(ALICE) is deep
        assert calls.event_depth() == 3
    with calls.track(shallow):
        assert calls.event_depth() == 0  # commands do not count as reactions


def test_identical_contexts_are_tracked_separately() -> None:
    calls = InFlightCalls()
    first = CallContext(CallKind.COMMAND, ALICE, 0)
    second = CallContext(CallKind.COMMAND, ALICE, 0)
    with calls.track(first):
        with calls.track(second):
            assert len(calls) == 2
        assert calls.matching(ALICE) is first
