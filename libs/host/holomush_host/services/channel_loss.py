"""Calls on a plugin's channel when the plugin process goes away under them.

When a plugin exits, the transport closes its channel, and grpc.aio ends the calls still
in flight on it with ``asyncio.CancelledError``, although nobody cancelled the caller
(and new calls fail with ``UsageError``). Treating that as a cancellation would silently
end whatever task made the call (a command, an event delivery, the supervisor itself), so
every call on a plugin channel goes through `channel_loss`, which turns it into a proper
error and lets only a real cancellation of the calling task through.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator

import grpc.aio

__all__ = ["channel_loss", "is_cancelling"]


def is_cancelling() -> bool:
    """Whether the current task itself is being cancelled."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


@contextlib.contextmanager
def channel_loss(error: Callable[[], Exception]) -> Iterator[None]:
    """Raise ``error()`` instead of a cancellation that the channel's closing caused."""
    try:
        yield
    except asyncio.CancelledError:
        if is_cancelling():
            raise
        raise error() from None
    except grpc.aio.UsageError:
        raise error() from None
