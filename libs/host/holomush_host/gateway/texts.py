"""Everything the telnet gateway itself says to a connection (the rest comes from events)."""

from __future__ import annotations

from typing import Final

from holomush_host.commands.errors import COMMAND_TOO_LONG_MESSAGE

BANNER: Final = "Welcome to HoloMUSH!\nUse: connect guest"
GOODBYE: Final = "Goodbye!"
LINE_TOO_LONG: Final = COMMAND_TOO_LONG_MESSAGE
TOO_FAST: Final = "You are sending commands too quickly; that line was ignored. Slow down a little."
ONLY_GUESTS: Final = "Only guest connections are available here. Use: connect guest"
NOT_CONNECTED_HELP: Final = "Commands before you connect: connect guest, quit"
COMMAND_FAILED: Final = "Error processing command."
CONNECT_FAILED: Final = "Could not connect you right now. Please try again in a moment."
SERVER_FULL: Final = "The server is full right now. Please try again later."
SHUTTING_DOWN: Final = "The server is shutting down. Goodbye!"
CONNECTION_LOST: Final = "Lost the connection to the game. Please reconnect."
_MAX_ECHOED_WORD: Final = 32


def welcome(name: str) -> str:
    return f"You are {name}. Type 'help' for the commands."


def unknown_before_login(word: str) -> str:
    shown = "".join(ch for ch in word if ch.isprintable())[:_MAX_ECHOED_WORD]
    return f"Unknown command: {shown}. Use: connect guest"
