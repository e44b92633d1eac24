"""Which scene a session's ``scene pose`` goes to.

The host owns a session's focus; the plugin only remembers the scene each session last
created, joined or switched to, so that ``scene pose <text>`` needs no scene ID. The
memory is bounded (least recently used sessions are forgotten) and lost on restart; the
pose command then falls back to the one active scene the character takes part in.
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["CurrentScenes"]


class CurrentScenes:
    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._by_session: OrderedDict[str, str] = OrderedDict()

    def get(self, session_id: str) -> str | None:
        scene_id = self._by_session.get(session_id)
        if scene_id is not None:
            self._by_session.move_to_end(session_id)
        return scene_id

    def set(self, session_id: str, scene_id: str) -> None:
        self._by_session[session_id] = scene_id
        self._by_session.move_to_end(session_id)
        while len(self._by_session) > self._capacity:
            self._by_session.popitem(last=False)

    def forget(self, session_id: str, scene_id: str) -> None:
        """Forget the session's current scene if it is `scene_id`."""
        if self._by_session.get(session_id) == scene_id:
            del self._by_session[session_id]
