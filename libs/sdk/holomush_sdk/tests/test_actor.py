import pytest

from holomush_sdk import (
    ACTOR_ID_METADATA_KEY,
    ACTOR_KIND_METADATA_KEY,
    Actor,
    ActorKind,
    actor_from_metadata,
    actor_scope,
    current_actor,
    with_actor_metadata,
)


def test_headers_are_the_reference_names():
    assert ACTOR_KIND_METADATA_KEY == "x-holomush-actor-kind"
    assert ACTOR_ID_METADATA_KEY == "x-holomush-actor-id"


def test_with_actor_metadata_copies_other_keys_and_overwrites_actor_keys():
    original = [("trace", "t1"), (ACTOR_KIND_METADATA_KEY, "1"), (ACTOR_ID_METADATA_KEY, "old")]
    result = with_actor_metadata(original, Actor(ActorKind.PLUGIN, "core-scenes"))
    assert result == (
        ("trace", "t1"),
        (ACTOR_KIND_METADATA_KEY, "2"),
        (ACTOR_ID_METADATA_KEY, "core-scenes"),
    )
    assert len(original) == 3  # input untouched
    assert with_actor_metadata(None, Actor(ActorKind.CHARACTER, "c"))[0] == (
        ACTOR_KIND_METADATA_KEY,
        "0",
    )


def test_actor_round_trips_through_metadata():
    actor = Actor(ActorKind.SYSTEM, "sys")
    assert actor_from_metadata(with_actor_metadata(None, actor)) == actor


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        [],
        [(ACTOR_KIND_METADATA_KEY, "0")],
        [(ACTOR_ID_METADATA_KEY, "c")],
        [(ACTOR_KIND_METADATA_KEY, "0"), (ACTOR_ID_METADATA_KEY, "")],
        [(ACTOR_KIND_METADATA_KEY, "character"), (ACTOR_ID_METADATA_KEY, "c")],
        [(ACTOR_KIND_METADATA_KEY, "-1"), (ACTOR_ID_METADATA_KEY, "c")],
        [(ACTOR_KIND_METADATA_KEY, "300"), (ACTOR_ID_METADATA_KEY, "c")],
        [(ACTOR_KIND_METADATA_KEY, "7"), (ACTOR_ID_METADATA_KEY, "c")],
    ],
)
def test_missing_or_malformed_actor_metadata_gives_none(metadata):
    assert actor_from_metadata(metadata) is None


def test_bytes_values_are_accepted():
    metadata = [(ACTOR_KIND_METADATA_KEY, b"2"), (ACTOR_ID_METADATA_KEY, b"p")]
    assert actor_from_metadata(metadata) == Actor(ActorKind.PLUGIN, "p")


def test_actor_scope_sets_and_restores_current_actor():
    assert current_actor() is None
    actor = Actor(ActorKind.CHARACTER, "c1")
    with actor_scope(actor):
        assert current_actor() == actor
        with actor_scope(None):
            assert current_actor() is None
        assert current_actor() == actor
    assert current_actor() is None
