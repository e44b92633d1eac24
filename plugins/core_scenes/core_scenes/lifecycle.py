"""The scene state machine (reference §5.5).

active ⇄ paused, both → ended, ended → archived. Nothing else: no self-transitions, no
moving backwards, no skipping (active → archived).
"""

from __future__ import annotations

from core_scenes.model import SceneState

__all__ = ["can_archive", "can_end", "can_pause", "can_resume", "can_update", "is_valid_transition"]

_TRANSITIONS = frozenset(
    {
        (SceneState.ACTIVE, SceneState.PAUSED),
        (SceneState.ACTIVE, SceneState.ENDED),
        (SceneState.PAUSED, SceneState.ACTIVE),
        (SceneState.PAUSED, SceneState.ENDED),
        (SceneState.ENDED, SceneState.ARCHIVED),
    }
)


def is_valid_transition(current: str, target: str) -> bool:
    """True when a scene in state `current` may move to `target`; unknown states never may."""
    return (current, target) in _TRANSITIONS


def can_end(state: str) -> bool:
    return is_valid_transition(state, SceneState.ENDED)


def can_pause(state: str) -> bool:
    return is_valid_transition(state, SceneState.PAUSED)


def can_resume(state: str) -> bool:
    return state == SceneState.PAUSED


def can_archive(state: str) -> bool:
    return is_valid_transition(state, SceneState.ARCHIVED)


def can_update(state: str) -> bool:
    return state in (SceneState.ACTIVE, SceneState.PAUSED)
