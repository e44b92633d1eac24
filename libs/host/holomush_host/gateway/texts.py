"""Everything the telnet gateway itself says to a connection (the rest comes from events)."""

from __future__ import annotations

from typing import Final

from holomush_host.commands.errors import COMMAND_TOO_LONG_MESSAGE

BANNER: Final = "Welcome to HoloMUSH!\nUse: connect guest"
GOODBYE: Final = "Goodbye!"
LINE_TOO_LONG: Final = COMMAND_TOO_LONG_MESSAGE
TOO_FAST: Final = "You are sending commands too quickly; that line was ignored. Slow down a little."
ONLY_GUESTS: Final = "Only guest connections are available here. Use: connect guest"
NOT_CONNECTED_HELP: Final = "Commands before you connect: connect guest, resume <code>, quit"
COMMAND_FAILED: Final = "Error processing command."
STORE_UNAVAILABLE: Final = (
    "The game's database is not answering right now, so that did not happen."
    " Please try again in a moment."
)
CONNECT_FAILED: Final = "Could not connect you right now. Please try again in a moment."
SERVER_FULL: Final = "The server is full right now. Please try again later."
SHUTTING_DOWN: Final = "The server is shutting down. Goodbye!"
CONNECTION_LOST: Final = "Lost the connection to the game. Please reconnect."
RESUME_USAGE: Final = "Usage: resume <code> (the code you were given when you connected)"
RESUME_UNKNOWN: Final = (
    "No session to resume with that code: it is mistyped, or the session has ended."
    " Use: connect guest"
)
RESUME_ENDED: Final = (
    "That session has ended (it was quit, or not resumed in time). Use: connect guest"
)
RESUME_IN_USE: Final = (
    "That session is still connected somewhere else. Close that connection (without"
    " 'quit', which ends the session), then try again."
)
RESUME_FAILED: Final = "Could not resume your session right now. Please try again in a moment."
TOO_MANY_RESUME_ATTEMPTS: Final = "Too many failed resume attempts. Goodbye!"
_MAX_ECHOED_WORD: Final = 32


def welcome(name: str, resume_code: str, ttl_seconds: int) -> str:
    # The resume hint comes first: the "You are" line is where a client's view of the
    # game starts (everything after it is rendered events).
    return (
        f"If you are disconnected, reconnect and type 'resume {resume_code}' within"
        f" {duration(ttl_seconds)} to pick up where you left off.\n"
        f"You are {name}. Type 'help' for the commands."
    )


def welcome_back(name: str) -> str:
    return f"Welcome back! You are {name} again, where you left off."


def duration(seconds: int) -> str:
    """``600`` → ``10 minutes``; whole hours, minutes, else seconds."""
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable: every whole number of seconds is whole seconds")


def unknown_before_login(word: str) -> str:
    shown = "".join(ch for ch in word if ch.isprintable())[:_MAX_ECHOED_WORD]
    return f"Unknown command: {shown}. Use: connect guest"
