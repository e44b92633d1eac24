"""The scene state machine (reference §5.5) and the value sets of the domain types."""

from __future__ import annotations

import pytest

from core_scenes.lifecycle import (
    can_archive,
    can_end,
    can_pause,
    can_resume,
    can_update,
    is_valid_transition,
)
from core_scenes.model import ParticipantRole, PoseOrderMode, SceneState, Visibility


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("active", "paused"),
        ("active", "ended"),
        ("paused", "active"),
        ("paused", "ended"),
        ("ended", "archived"),
    ],
)
def test_valid_transitions(current: str, target: str) -> None:
    assert is_valid_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("active", "active"),
        ("paused", "paused"),
        ("ended", "active"),
        ("ended", "paused"),
        ("ended", "ended"),
        ("archived", "active"),
        ("archived", "paused"),
        ("archived", "ended"),
        ("archived", "archived"),
        ("active", "archived"),
        ("paused", "archived"),
        ("bogus", "active"),
        ("active", "bogus"),
        ("", "ended"),
    ],
)
def test_rejected_transitions(current: str, target: str) -> None:
    assert not is_valid_transition(current, target)


@pytest.mark.parametrize(
    ("state", "end", "pause", "resume", "update", "archive"),
    [
        ("active", True, True, False, True, False),
        ("paused", True, False, True, True, False),
        ("ended", False, False, False, False, True),
        ("archived", False, False, False, False, False),
        ("bogus", False, False, False, False, False),
    ],
)
def test_can_helpers(
    state: str, end: bool, pause: bool, resume: bool, update: bool, archive: bool
) -> None:
    assert (can_end(state), can_pause(state), can_resume(state)) == (end, pause, resume)
    assert (can_update(state), can_archive(state)) == (update, archive)


def test_value_sets() -> None:
    assert {s.value for s in SceneState} == {"active", "paused", "ended", "archived"}
    assert {v.value for v in Visibility} == {"open", "private"}
    assert {m.value for m in PoseOrderMode} == {"free", "strict", "3pr", "5pr"}
    assert {r.value for r in ParticipantRole} == {"owner", "member", "invited"}
    with pytest.raises(ValueError, match="'leader'"):
        ParticipantRole("leader")
