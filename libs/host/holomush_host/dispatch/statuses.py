"""What the host does with each command status (reference §2.1, with §9 item 21 fixed).

| status  | output shown            | session activity | logged          |
|---------|-------------------------|------------------|-----------------|
| OK      | as ``command_response`` | bumped           | no              |
| ERROR   | as ``command_error``    | bumped           | no (user error) |
| FAILURE | as ``command_error``    | not bumped       | warning         |
| FATAL   | no: a generic message   | not bumped       | error + output  |

The response's events are the plugin manager's business: it appends them for every
status but FATAL (and turns FATAL into a ``PluginCallError`` before the dispatcher sees
it; the row here covers any implementation that does not). The reference showed nothing
at all for FATAL; here the player learns the command failed, and the plugin's own text
(which may hold internals) goes only to the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from holomush_sdk.commands import CommandStatus

FATAL_PLAYER_MESSAGE: Final = (
    "That command failed because of an internal problem. It has been logged; "
    "please try again later or tell an administrator."
)


@dataclass(frozen=True)
class StatusHandling:
    show_output: bool
    #: The output (or message) goes out as ``command_error`` instead of ``command_response``.
    as_error: bool
    bump_activity: bool
    #: Shown instead of the plugin's output.
    replacement: str | None
    log_level: int | None


_HANDLING: Final = {
    CommandStatus.OK: StatusHandling(True, False, True, None, None),
    CommandStatus.ERROR: StatusHandling(True, True, True, None, None),
    CommandStatus.FAILURE: StatusHandling(True, True, False, None, logging.WARNING),
    CommandStatus.FATAL: StatusHandling(False, True, False, FATAL_PLAYER_MESSAGE, logging.ERROR),
}


def handling_for(status: CommandStatus) -> StatusHandling:
    """The rules for ``status``; a value the SDK did not know was already mapped to OK."""
    return _HANDLING[CommandStatus(status)]
