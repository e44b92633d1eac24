"""A connected player's presence: character, session and live event subscription.

Starting a guest creates a ``Guest-<n>`` character in the default location, an active
session, and a subscription to the session's streams (character, location, focus
memberships, plugin-added streams), registered so that focus changes (``scene join``) add
streams to it at once. Ending it undoes all of that: the room hears that the character
left, the session expires (``who`` and ``look`` stop listing it) and a guest character
is deleted, which frees its name.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from holomush_host.data.errors import DataError
from holomush_host.data.event_types import Actor, ActorKind
from holomush_host.data.host_data import HostData
from holomush_host.data.subscription import Subscription
from holomush_host.data.world import CharacterInfo, location_stream
from holomush_host.dispatch.player import PlayerContext

_LOG = logging.getLogger(__name__)

ARRIVE: Final = "arrive"
LEAVE: Final = "leave"


@dataclass
class LiveSession:
    player: PlayerContext
    is_guest: bool
    events: Subscription


class PlayerSessions:
    def __init__(self, data: HostData) -> None:
        self._data = data

    async def start_guest(self) -> LiveSession:
        """A new guest, connected and subscribed; raises DataError when the store fails."""
        character = await self._data.world.create_guest_character()
        try:
            return await self._start(character)
        except BaseException:
            await self._delete_guest(character.id)
            raise

    async def _start(self, character: CharacterInfo) -> LiveSession:
        data = self._data
        session = await data.sessions.create_session(character.id)
        plan = await data.focus.restore_plan(session.id)
        subscription = data.events.subscribe(plan.streams)
        data.stream_registry.register(session.id, subscription)
        player = PlayerContext(
            session_id=session.id,
            character_id=character.id,
            character_name=character.name,
            player_id=character.player_id,
            location_id=character.location_id,
        )
        live = LiveSession(player, character.is_guest, subscription)
        try:
            await self._announce(player, ARRIVE, f"{player.character_name} has arrived.")
        except BaseException:
            await self.end(live, announce=False)
            raise
        return live

    async def end(self, live: LiveSession, *, announce: bool = True) -> None:
        """Take the player out of the game; never raises (problems are logged)."""
        player = live.player
        self._data.stream_registry.unregister(player.session_id, live.events)
        live.events.close()
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
        for what, step in steps:
            try:
                await step()
            except Exception as exc:  # each step is independent; do the rest regardless
                _LOG.warning("%s for %s failed: %s", what, player.subject, exc)

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

    async def clean_up_after_restart(self) -> int:
        """No connection outlives the process: end every session still marked active and
        delete its guest. Returns how many sessions were ended."""
        ended = await self._data.sessions.detach_all_active()
        for session_id in ended:
            try:
                session = await self._data.sessions.get_session(session_id)
                await self._data.sessions.end_session(session_id)
                if session.is_guest:
                    await self._data.world.delete_guest_character(session.character_id)
            except DataError as exc:
                _LOG.warning("cleaning up session %s failed: %s", session_id, exc)
        return len(ended)
