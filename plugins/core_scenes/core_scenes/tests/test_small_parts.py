"""Current-scene memory and stream-history rendering."""

from __future__ import annotations

import json

import pytest

from core_scenes.current_scenes import CurrentScenes
from core_scenes.log_format import render_event
from holomush_sdk import ActorKind, Event


def test_current_scenes_forget_the_least_recently_used() -> None:
    current = CurrentScenes(capacity=2)
    current.set("s1", "scene-1")
    current.set("s2", "scene-2")
    assert current.get("s1") == "scene-1"  # s1 is now the most recent
    current.set("s3", "scene-3")
    assert (current.get("s1"), current.get("s2"), current.get("s3")) == (
        "scene-1",
        None,
        "scene-3",
    )
    current.forget("s1", "scene-other")
    assert current.get("s1") == "scene-1"
    current.forget("s1", "scene-1")
    assert current.get("s1") is None
    with pytest.raises(ValueError, match="capacity"):
        CurrentScenes(capacity=0)


def event(type_: str, payload: object, actor: str = "c1") -> Event:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return Event("e", "scene:s:ic", type_, 0, ActorKind.CHARACTER, actor, text)


@pytest.mark.parametrize(
    ("ev", "line"),
    [
        (event("pose", {"character_name": "Ann", "message": "smiles."}), "Ann smiles."),
        (
            event("pose", {"character_name": "Ann", "message": "'s hat.", "no_space": True}),
            "Ann's hat.",
        ),
        (event("pose", {"message": "waves."}, actor="c9"), "c9 waves."),
        (event("say", {"character_name": "Bo", "message": "Hi"}), 'Bo says, "Hi"'),
        (event("system", {"text": "Scene paused."}), "Scene paused."),
        (event("system", {"kind": "x"}), None),
        (event("pose", "not json"), None),
        (event("pose", "[1, 2]"), None),
        (event("pose", ""), None),
    ],
)
def test_render_event(ev: Event, line: str | None) -> None:
    assert render_event(ev) == line
