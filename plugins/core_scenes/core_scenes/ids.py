"""Identifiers: ``scene-<ULID>`` for scenes, ``ope-<ULID>`` for ops events, ``pose-<ULID>``
for poses. python-ulid draws the random part from ``os.urandom``."""

from __future__ import annotations

from ulid import ULID

__all__ = ["new_ops_event_id", "new_pose_id", "new_scene_id"]


def new_scene_id() -> str:
    return f"scene-{ULID()}"


def new_ops_event_id() -> str:
    return f"ope-{ULID()}"


def new_pose_id() -> str:
    return f"pose-{ULID()}"
