"""A connected player's presence: character, session and live event subscription.

Starting a guest creates a ``Guest-<n>`` character in the default location, an active
session with a resume code, and a subscription to the session's streams (character,
location, focus memberships, plugin-added streams), registered so that focus changes
(``scene join``) add streams to it at once.

How it ends depends on how the connection ended:

* ``quit`` ends the session for good: the session expires, the guest is deleted (its
  name is free again) and the room hears "<name> has left.".
* Anything else (the connection dropped, the server stopped or crashed) *detaches* it:
  the character and its focus memberships stay, the room hears "<name> has
  disconnected.", and for ``ttl_seconds`` the player can type ``resume <code>`` on a new
  connection to carry on where they left off, seeing what they missed. `sweep` ends the
  sessions whose time ran out and deletes their guests.

``who`` and ``look`` list only active sessions, so a detached character is not shown as
connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from holomush_host.data.errors import ConflictError, DataError, NotFoundError, SessionExpiredError
from holomush_host.data.event_types import Actor, ActorKind
from holomush_host.data.host_data import HostData
from holomush_host.data.sessions import MAX_SESSION_TTL_SECONDS, SessionInfo
from holomush_host.data.subscription import Subscription
from holomush_host.data.world import CharacterInfo, location_stream
from holomush_host.dispatch.player import PlayerContext
from holomush_host.gateway.delivery_cursors import DEFAULT_SAVE_INTERVAL, DeliveryCursors
from holomush_host.gateway.resume_codes import new_resume_code, resume_code_digest

_LOG = logging.getLogger(__name__)

ARRIVE: Final = "arrive"
LEAVE: Final = "leave"
DISCONNECT: Final = "disconnect"
RECONNECT: Final = "reconnect"
#: How long a dropped session waits to be resumed.
DEFAULT_RESUME_TTL_SECONDS: Final = 600
DEFAULT_SWEEP_INTERVAL: Final = 30.0


@dataclass
class LiveSession:
    player: PlayerContext
    is_guest: bool
    events: Subscription
    cursors: DeliveryCursors
    #: The code to type to resume this session; told to the player once, at connect
    #: (empty for a resumed session: the player already has it).
    resume_code: str = ""


class ResumeRefusal(enum.Enum):
    UNKNOWN = "unknown"
    """No session has that code (mistyped; or it ended and its guest was deleted)."""
    ENDED = "ended"
    """The session ended: it was quit, or not resumed in time."""
    IN_USE = "in use"
    """A connection still holds the session."""


class ResumeRefused(Exception):
    def __init__(self, refusal: ResumeRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class Recovery:
    """What start-up found left over from the previous run."""

    detached: int
    """Sessions whose connection died with the old process; resumable for their TTL."""
    ended: int
    """Sessions whose TTL had already passed; ended, their guests deleted."""


class PlayerSessions:
    def __init__(
        self,
        data: HostData,
        *,
        ttl_seconds: int = DEFAULT_RESUME_TTL_SECONDS,
        cursor_save_interval: float = DEFAULT_SAVE_INTERVAL,
    ) -> None:
        if not 0 < ttl_seconds <= MAX_SESSION_TTL_SECONDS:
            raise ValueError(f"the session TTL must be 1 to {MAX_SESSION_TTL_SECONDS} seconds")
        self._data = data
        self.ttl_seconds = ttl_seconds
        self._cursor_save_interval = cursor_save_interval
        self._sweeper: asyncio.Task[None] | None = None

    # -- connecting ---------------------------------------------------------------------

    async def start_guest(self) -> LiveSession:
        """A new guest, connected and subscribed; raises DataError when the store fails."""
        character = await self._data.world.create_guest_character()
        try:
            return await self._start(character)
        except BaseException:
            await self._delete_guest(character.id)
            raise

    async def _start(self, character: CharacterInfo) -> LiveSession:
        code = new_resume_code()
        session = await self._data.sessions.create_session(
            character.id, ttl_seconds=self.ttl_seconds, resume_code_hash=code.digest
        )
        live = await self._subscribe(session, character.is_guest)
        live.resume_code = code.code
        try:
            await self._announce(live.player, ARRIVE, f"{character.name} has arrived.")
        except BaseException:
            await self.end(live, announce=False)
            raise
        return live

    async def resume(self, typed_code: str) -> LiveSession:
        """Take back the detached session with that resume code, subscribed from where its
        delivery stopped. Raises `ResumeRefused` (nothing changed) or DataError."""
        digest = resume_code_digest(typed_code)
        if digest is None:
            raise ResumeRefused(ResumeRefusal.UNKNOWN)
        try:
            session = await self._data.sessions.reattach_by_resume_code(digest)
        except NotFoundError:
            raise ResumeRefused(ResumeRefusal.UNKNOWN) from None
        except SessionExpiredError:
            raise ResumeRefused(ResumeRefusal.ENDED) from None
        except ConflictError:
            raise ResumeRefused(ResumeRefusal.IN_USE) from None
        try:
            live = await self._subscribe(session, session.is_guest)
        except BaseException:
            await self._put_back(session.id)
            raise
        try:
            text = f"{session.character_name} has reconnected."
            await self._announce(live.player, RECONNECT, text)
        except BaseException:
            await self.detach(live, announce=False)
            raise
        return live

    async def _subscribe(self, session: SessionInfo, is_guest: bool) -> LiveSession:
        """Deliver the session's streams (focus memberships first, then character,
        location and plugin streams), each from its stored cursor."""
        data = self._data
        plan = await data.focus.restore_plan(session.id)
        subscription = data.events.subscribe(plan.streams)
        data.stream_registry.register(session.id, subscription)
        player = PlayerContext(
            session_id=session.id,
            character_id=session.character_id,
            character_name=session.character_name,
            player_id=session.player_id,
            location_id=session.location_id,
        )
        cursors = DeliveryCursors(
            data.sessions, session.id, subscription, interval=self._cursor_save_interval
        )
        return LiveSession(player, is_guest, subscription, cursors)

    async def _put_back(self, session_id: str) -> None:
        # A resume that failed half-way must leave the session resumable.
        try:
            await self._data.sessions.detach(session_id)
        except DataError as exc:
            _LOG.warning("could not detach session %s again: %s", session_id, exc)

    # -- disconnecting ------------------------------------------------------------------

    async def end(self, live: LiveSession, *, announce: bool = True) -> None:
        """``quit``: take the player out of the game for good; never raises (problems are
        logged)."""
        player = live.player
        await live.cursors.close(save=False)
        self._stop_delivery(live)
        # Everything is cleaned up before the room hears of it, so whoever reacts to
        # "has left" no longer finds the character connected.
        steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("end session", lambda: self._data.sessions.end_session(player.session_id))
        ]
        if live.is_guest:
            steps.append(("delete guest", lambda: self._delete_guest(player.character_id)))
        if announce:
            text = f"{player.character_name} has left."
            steps.append(("announce", lambda: self._announce(player, LEAVE, text)))
        await _run_steps(player, steps)

    async def detach(self, live: LiveSession, *, announce: bool = True) -> None:
        """The connection went away without ``quit``: keep the session for ``resume``;
        never raises (problems are logged)."""
        player = live.player
        await live.cursors.close(save=True)  # before the subscription forgets them
        self._stop_delivery(live)
        steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("detach session", lambda: self._data.sessions.detach(player.session_id))
        ]
        if announce:
            text = f"{player.character_name} has disconnected."
            steps.append(("announce", lambda: self._announce(player, DISCONNECT, text)))
        await _run_steps(player, steps)

    def _stop_delivery(self, live: LiveSession) -> None:
        self._data.stream_registry.unregister(live.player.session_id, live.events)
        live.events.close()

    async def _announce(self, player: PlayerContext, event_type: str, text: str) -> None:
        payload = json.dumps(
            {"character_name": player.character_name, "text": text}, ensure_ascii=False
        )
        await self._data.events.append(
            location_stream(player.location_id),
            event_type,
            Actor(ActorKind.CHARACTER, player.character_id),
            payload,
        )

    async def _delete_guest(self, character_id: str) -> None:
        try:
            await self._data.world.delete_guest_character(character_id)
        except DataError as exc:
            _LOG.warning("could not delete guest %s: %s", character_id, exc)

    # -- housekeeping -------------------------------------------------------------------

    async def recover_after_restart(self) -> Recovery:
        """At start-up: no connection outlives the process, so every session still marked
        active is detached (resumable for its TTL); those already past it are ended and
        their guests deleted. Raises DataError when the store fails."""
        detached = await self._data.sessions.detach_all_active()
        ended = await self.sweep()
        return Recovery(detached=len(detached), ended=ended)

    async def sweep(self) -> int:
        """End the sessions whose TTL passed and delete guests nobody can resume any more
        (freeing their names); returns how many sessions were ended. Raises DataError."""
        ended = await self._data.sessions.expire_overdue()
        for character_id in await self._data.sessions.abandoned_guests():
            await self._delete_guest(character_id)
        return len(ended)

    def start_sweeping(self, interval: float = DEFAULT_SWEEP_INTERVAL) -> None:
        """`sweep` every ``interval`` seconds in the background until `stop_sweeping`."""
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep_forever(interval), name="sweep")

    async def stop_sweeping(self) -> None:
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper

    async def _sweep_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                ended = await self.sweep()
            except DataError as exc:  # the database may be back by the next round
                _LOG.warning("session sweep failed: %s", exc)
                continue
            except Exception:  # a bug: keep sweeping, but say so loudly
                _LOG.exception("session sweep failed")
                continue
            if ended:
                _LOG.info("ended %d session(s) not resumed in time", ended)


async def _run_steps(
    player: PlayerContext, steps: list[tuple[str, Callable[[], Awaitable[object]]]]
) -> None:
    for what, step in steps:
        try:
            await step()
        except Exception as exc:  # each step is independent; do the rest regardless
            _LOG.warning("%s for %s failed: %s", what, player.subject, exc)
