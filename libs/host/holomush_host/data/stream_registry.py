"""Which live subscription delivers each session's events, so focus and session-stream
changes reach a connected player at once (reference ``SessionStreamRegistry``).

The connection that serves a session (the telnet gateway) registers its `Subscription`
here while it runs. Changes for a session with no live subscription are only persisted;
the next `FocusCoordinator.restore_plan` picks them up.
"""

from __future__ import annotations

from typing import Protocol

from holomush_host.data.event_types import StreamStart
from holomush_host.data.subscription import Subscription

__all__ = ["SessionStreamRegistry", "StreamSender"]


class StreamSender(Protocol):
    async def add_stream(self, session_id: str, stream: str, start: StreamStart) -> bool:
        """Start delivering ``stream`` to the session; False when it has no live delivery."""
        ...

    async def remove_stream(self, session_id: str, stream: str) -> bool:
        """Stop delivering ``stream``; False when the session has no live delivery."""
        ...


class SessionStreamRegistry:
    """In-process `StreamSender`: session id → the subscription that serves it."""

    def __init__(self) -> None:
        self._live: dict[str, Subscription] = {}

    def register(self, session_id: str, subscription: Subscription) -> None:
        """Route the session's stream changes to ``subscription`` (replacing any earlier one)."""
        self._live[session_id] = subscription

    def unregister(self, session_id: str, subscription: Subscription | None = None) -> None:
        """Forget the session's subscription (only if it is ``subscription``, when given)."""
        if subscription is None or self._live.get(session_id) is subscription:
            self._live.pop(session_id, None)

    def get(self, session_id: str) -> Subscription | None:
        return self._live.get(session_id)

    async def add_stream(self, session_id: str, stream: str, start: StreamStart) -> bool:
        subscription = self._open_subscription(session_id)
        if subscription is None:
            return False
        subscription.add_stream(stream, start)
        return True

    async def remove_stream(self, session_id: str, stream: str) -> bool:
        subscription = self._open_subscription(session_id)
        if subscription is None:
            return False
        subscription.remove_stream(stream)
        return True

    def _open_subscription(self, session_id: str) -> Subscription | None:
        subscription = self._live.get(session_id)
        if subscription is not None and subscription.closed:
            self.unregister(session_id, subscription)
            return None
        return subscription
