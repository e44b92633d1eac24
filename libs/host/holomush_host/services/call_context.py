"""What the host has handed to a plugin and not yet got back: its in-flight calls.

While the host waits for a plugin to answer a command or an event, the plugin may call
back (EmitEvent, QueryStreamHistory, a service of another plugin). Those callbacks are
trusted only as far as the calls in flight justify:

* an actor named in the callback's ``x-holomush-actor-*`` metadata is believed only if it
  is the actor of a call in flight at that plugin (otherwise a plugin could attribute
  events to any character);
* events emitted while handling a delivered event carry the event chain *depth*, which
  bounds plugin-to-plugin reaction chains (see `holomush_host.plugins.delivery`);
* the sessions and streams of in-flight calls widen what the plugin may read
  (`holomush_host.services.stream_access`).
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

from holomush_sdk.actor import Actor

__all__ = ["CallContext", "CallKind", "InFlightCalls"]


class CallKind(enum.Enum):
    COMMAND = "command"
    """A player's command (HandleCommand)."""
    EVENT = "event"
    """An event delivery (HandleEvent)."""
    SERVICE = "service"
    """A call another plugin made to this plugin's service through the host, on behalf of
    a call in flight at that other plugin."""


@dataclass(frozen=True, eq=False)
class CallContext:
    """One call the host made to a plugin (compared by identity: two commands by the same
    character are two contexts)."""

    kind: CallKind
    actor: Actor
    depth: int
    """The event chain depth of events emitted on behalf of this call."""
    session_id: str | None = None
    """The session a command came from."""
    streams: tuple[str, ...] = field(default=())
    """Streams the call hands to the plugin outright (the delivered event's stream; the
    command's character and location streams)."""


class InFlightCalls:
    """The calls in flight at one plugin; cheap, in memory, owned by the plugin's record."""

    def __init__(self) -> None:
        self._calls: list[CallContext] = []

    @contextlib.contextmanager
    def track(self, context: CallContext) -> Iterator[CallContext]:
        """Count ``context`` as in flight inside the block."""
        self._calls.append(context)
        try:
            yield context
        finally:
            self._calls.remove(context)

    def __len__(self) -> int:
        return len(self._calls)

    def matching(self, actor: Actor | None) -> CallContext | None:
        """The in-flight call on behalf of ``actor`` (the deepest if several), else None."""
        if actor is None:
            return None
        found = [call for call in self._calls if call.actor == actor]
        return max(found, key=lambda call: call.depth) if found else None

    def event_depth(self) -> int:
        """The deepest chain depth of any in-flight event delivery (0 when there is none).

        Used for emits that name no trusted actor: they may still be reactions to an event.
        """
        return max((c.depth for c in self._calls if c.kind is CallKind.EVENT), default=0)

    def session_ids(self) -> tuple[str, ...]:
        """Sessions of the commands in flight, without duplicates."""
        return tuple(dict.fromkeys(c.session_id for c in self._calls if c.session_id))

    def handed_streams(self) -> frozenset[str]:
        return frozenset(stream for call in self._calls for stream in call.streams)
