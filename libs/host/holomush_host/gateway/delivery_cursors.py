"""Remembers, per stream, the newest event a connection has shown its player, so that a
resumed session replays what the player missed and not much more.

Saving after every event would put a database write on every line a player sees;
instead a save follows the first delivery after a quiet spell, ``interval`` seconds
later, with whatever was delivered by then. `close` saves what is left at once (a
dropped connection). After a crash at most the last ``interval`` seconds are shown again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from holomush_host.data.sessions import SessionStore
from holomush_host.data.subscription import Subscription

_LOG = logging.getLogger(__name__)
DEFAULT_SAVE_INTERVAL: Final = 2.0


class DeliveryCursors:
    def __init__(
        self,
        store: SessionStore,
        session_id: str,
        events: Subscription,
        *,
        interval: float = DEFAULT_SAVE_INTERVAL,
    ) -> None:
        self._store = store
        self._session_id = session_id
        self._events = events
        self._interval = interval
        self._saved: dict[str, str] = {}
        self._pending: asyncio.Task[None] | None = None
        self._closed = False

    def delivered(self) -> None:
        """The consumer took an event; a save follows within ``interval`` seconds."""
        if self._closed:
            return
        if self._pending is None or self._pending.done():
            self._pending = asyncio.create_task(
                self._save_later(), name=f"save-cursors-{self._session_id}"
            )

    async def close(self, *, save: bool = True) -> None:
        """Stop saving later; with ``save``, store the newest cursors now (never raises)."""
        self._closed = True
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending
        if save:
            await self._save()

    async def _save_later(self) -> None:
        await asyncio.sleep(self._interval)
        await self._save()

    async def _save(self) -> None:
        cursors = self._events.cursors()
        changed = {s: c for s, c in cursors.items() if self._saved.get(s) != c}
        if not changed:
            return
        try:
            await self._store.save_cursors(self._session_id, changed)
        except Exception as exc:  # the next save, or a longer replay, makes up for it
            _LOG.warning("could not save the cursors of session %s: %s", self._session_id, exc)
            return
        self._saved.update(changed)
