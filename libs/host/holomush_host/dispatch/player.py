"""Who typed the line: the identity a command runs as."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlayerContext:
    """A connected character, as of the line being dispatched."""

    session_id: str
    character_id: str
    character_name: str
    player_id: str
    location_id: str

    @property
    def subject(self) -> str:
        """The policy subject: ``character:<id>``."""
        return f"character:{self.character_id}"
