"""Command errors: a code for the host, an exact text for the player (reference §4.10, §8.1)."""

from __future__ import annotations

import enum
from typing import Final

from holomush_host.policy.engine import Decision

UNKNOWN_COMMAND_MESSAGE: Final = "Unknown command. Try 'help'."
PERMISSION_DENIED_MESSAGE: Final = "You don't have permission to do that."
ACCESS_EVALUATION_FAILED_MESSAGE: Final = (
    "Permission check failed. Please try again or contact an administrator."
)
COMMAND_TOO_LONG_MESSAGE: Final = "Command too long."
GENERIC_PLAYER_MESSAGE: Final = "Something went wrong. Try again."
#: Not in the reference, which never shows EMPTY_INPUT or bad characters to a player.
EMPTY_INPUT_MESSAGE: Final = "No command given. Try 'help'."
INVALID_INPUT_MESSAGE: Final = "That command contains characters that cannot be used."


class CommandErrorCode(enum.Enum):
    EMPTY_INPUT = "EMPTY_INPUT"
    INVALID_INPUT = "INVALID_INPUT"
    INPUT_TOO_LONG = "INPUT_TOO_LONG"
    UNKNOWN_COMMAND = "UNKNOWN_COMMAND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    ACCESS_EVALUATION_FAILED = "ACCESS_EVALUATION_FAILED"
    INVALID_COMMAND_REQUEST = "INVALID_COMMAND_REQUEST"


_PLAYER_MESSAGES: Final = {
    CommandErrorCode.EMPTY_INPUT: EMPTY_INPUT_MESSAGE,
    CommandErrorCode.INVALID_INPUT: INVALID_INPUT_MESSAGE,
    CommandErrorCode.INPUT_TOO_LONG: COMMAND_TOO_LONG_MESSAGE,
    CommandErrorCode.UNKNOWN_COMMAND: UNKNOWN_COMMAND_MESSAGE,
    CommandErrorCode.PERMISSION_DENIED: PERMISSION_DENIED_MESSAGE,
    CommandErrorCode.ACCESS_EVALUATION_FAILED: ACCESS_EVALUATION_FAILED_MESSAGE,
    # A request the host built badly is the host's fault; the player gets the generic text.
    CommandErrorCode.INVALID_COMMAND_REQUEST: GENERIC_PLAYER_MESSAGE,
}


class CommandError(Exception):
    """A typed line that cannot be run; ``str()`` is for logs, ``player_message`` for players."""

    def __init__(
        self, code: CommandErrorCode, detail: str, *, decision: Decision | None = None
    ) -> None:
        self.code = code
        self.detail = detail
        #: The access decision behind a PERMISSION_DENIED / ACCESS_EVALUATION_FAILED.
        self.decision = decision
        super().__init__(f"{code.value}: {detail}")

    @property
    def player_message(self) -> str:
        return _PLAYER_MESSAGES[self.code]

    @property
    def user_facing(self) -> bool:
        """False when the player only gets the generic text (a host-side failure)."""
        return self.player_message != GENERIC_PLAYER_MESSAGE
