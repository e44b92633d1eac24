"""Parent-death watchdog: a plugin must not outlive the host that started it.

A Go plugin dies of SIGPIPE on its next write once the host is gone; Python ignores
SIGPIPE, so the plugin watches its parent explicitly (wire protocol §5.3). On Linux a
pidfd makes this instant; elsewhere ``getppid()`` is polled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from typing import Final

_log = logging.getLogger(__name__)

POLL_INTERVAL: Final = 1.0


class ParentWatchdog:
    """Calls ``on_parent_exit`` once, on the event loop, when the parent process ends."""

    def __init__(
        self,
        on_parent_exit: Callable[[], None],
        *,
        parent_pid: int | None = None,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        """``parent_pid``: the parent as seen early in start-up (default: the current one)."""
        self._on_parent_exit = on_parent_exit
        self._poll_interval = poll_interval
        self._parent = os.getppid() if parent_pid is None else parent_pid
        self._pidfd: int | None = None
        self._poller: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fired = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._parent <= 1:
            _log.debug("no parent process to watch (ppid %d)", self._parent)
            return
        pidfd_open = getattr(os, "pidfd_open", None)
        if pidfd_open is not None:
            try:
                self._pidfd = pidfd_open(self._parent)
            except OSError:
                self._pidfd = None
        if self._pidfd is not None:
            self._loop.add_reader(self._pidfd, self._fire)
        else:
            self._poller = self._loop.create_task(self._poll(), name="parent-watchdog")
        if os.getppid() != self._parent:  # the parent died before the watch began
            self._fire()

    def stop(self) -> None:
        if self._pidfd is not None:
            if self._loop is not None:
                self._loop.remove_reader(self._pidfd)
            with contextlib.suppress(OSError):
                os.close(self._pidfd)
            self._pidfd = None
        if self._poller is not None:
            if self._poller is not asyncio.current_task():
                self._poller.cancel()
            self._poller = None

    async def _poll(self) -> None:
        # Fallback without pidfds: there is no event to wait for, only a value to poll.
        while os.getppid() == self._parent:  # noqa: ASYNC110
            await asyncio.sleep(self._poll_interval)
        self._fire()

    def _fire(self) -> None:
        if self._fired:
            return
        self._fired = True
        self.stop()
        self._on_parent_exit()
