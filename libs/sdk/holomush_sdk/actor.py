"""Actor metadata: who a call is made on behalf of, carried in gRPC metadata headers.

The host sends the actor of an event or command as ``x-holomush-actor-kind`` (the decimal
`ActorKind`) and ``x-holomush-actor-id``. The SDK remembers the incoming actor for the
duration of the call (a context variable), and `EventSink.emit` forwards it, so an event a
plugin emits while handling a player's command is attributed to that player.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from holomush_sdk.events import ActorKind

__all__ = [
    "ACTOR_ID_METADATA_KEY",
    "ACTOR_KIND_METADATA_KEY",
    "Actor",
    "Metadata",
    "actor_from_metadata",
    "actor_scope",
    "current_actor",
    "with_actor_metadata",
]

ACTOR_KIND_METADATA_KEY = "x-holomush-actor-kind"
ACTOR_ID_METADATA_KEY = "x-holomush-actor-id"

Metadata = Iterable[tuple[str, str | bytes]]
"""gRPC metadata as key/value pairs (what ``context.invocation_metadata()`` returns)."""


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str


_current_actor: ContextVar[Actor | None] = ContextVar("holomush_sdk_actor", default=None)


def with_actor_metadata(metadata: Metadata | None, actor: Actor) -> tuple[tuple[str, str], ...]:
    """Copy `metadata` (may be None) and set the two actor headers, replacing any present."""
    kept = tuple(
        (key, value if isinstance(value, str) else value.decode("utf-8", "replace"))
        for key, value in (metadata or ())
        if key.lower() not in (ACTOR_KIND_METADATA_KEY, ACTOR_ID_METADATA_KEY)
    )
    return (
        *kept,
        (ACTOR_KIND_METADATA_KEY, str(int(actor.kind))),
        (ACTOR_ID_METADATA_KEY, actor.id),
    )


def actor_from_metadata(metadata: Metadata | None) -> Actor | None:
    """Read the actor headers; None when either is missing, the id is empty or the kind is
    not one of the `ActorKind` values (written as a decimal integer)."""
    kind_text: str | None = None
    actor_id: str | None = None
    for key, value in metadata or ():
        text = value if isinstance(value, str) else value.decode("utf-8", "replace")
        lowered = key.lower()
        if lowered == ACTOR_KIND_METADATA_KEY:
            kind_text = text
        elif lowered == ACTOR_ID_METADATA_KEY:
            actor_id = text
    if kind_text is None or not actor_id:
        return None
    if not kind_text.isascii() or not kind_text.isdigit():
        return None
    try:
        return Actor(ActorKind(int(kind_text)), actor_id)
    except ValueError:
        return None


def current_actor() -> Actor | None:
    """The actor of the call being handled (or set with `actor_scope`), if any."""
    return _current_actor.get()


@contextlib.contextmanager
def actor_scope(actor: Actor | None) -> Iterator[None]:
    """Make `actor` the current actor inside the block (the SDK does this per incoming call)."""
    token = _current_actor.set(actor)
    try:
        yield
    finally:
        _current_actor.reset(token)
