"""The status table of reference §2.1, with a clear message for Fatal."""

from __future__ import annotations

import logging

import pytest

from holomush_host.dispatch.statuses import FATAL_PLAYER_MESSAGE, handling_for
from holomush_sdk.commands import CommandStatus


@pytest.mark.parametrize(
    ("status", "show", "as_error", "bump", "replacement", "log_level"),
    [
        (CommandStatus.OK, True, False, True, None, None),
        (CommandStatus.ERROR, True, True, True, None, None),
        (CommandStatus.FAILURE, True, True, False, None, logging.WARNING),
        (CommandStatus.FATAL, False, True, False, FATAL_PLAYER_MESSAGE, logging.ERROR),
    ],
)
def test_each_status(status, show, as_error, bump, replacement, log_level) -> None:
    handling = handling_for(status)
    assert (
        handling.show_output,
        handling.as_error,
        handling.bump_activity,
        handling.replacement,
        handling.log_level,
    ) == (show, as_error, bump, replacement, log_level)
