"""Identifiers: ``scene-<ULID>`` for scenes, ``ope-<ULID>`` for ops events, ``pose-<ULID>``
for poses. python-ulid draws the random part from ``os.urandom``."""

from __future__ import annotations

__all__ = ["new_ops_event_id", "new_pose_id", "new_scene_id"]


def _ulid() -> str:
    # Imported on first use: python-ulid loads importlib.metadata, ~40 ms of plugin start-up.
    from ulid import ULID

    return str(ULID())


def new_scene_id() -> str:
    return f"scene-{_ulid()}"


def new_ops_event_id() -> str:
    return f"ope-{_ulid()}"


def new_pose_id() -> str:
    return f"pose-{_ulid()}"
