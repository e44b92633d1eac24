"""``holomush serve``: start the host, print the summary, run until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Final, TextIO

from holomush_host.app.config import HostConfig
from holomush_host.app.host import HostApp, HostStartError
from holomush_host.app.summary import startup_summary

_LOG = logging.getLogger(__name__)
_STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)

INSECURE_WARNING: Final = (
    "WARNING: --insecure-plugins: plugin connections are NOT encrypted or authenticated. "
    "Any local process can impersonate a plugin or read its traffic. Use this only for "
    "debugging on a machine you trust."
)


async def serve(config: HostConfig, *, out: TextIO = sys.stdout) -> int:
    """Run the host until a stop signal; the process exit code."""
    if config.insecure_plugins:
        print(INSECURE_WARNING, file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    app = HostApp(config)
    try:
        try:
            status = await app.start()
        except HostStartError as exc:
            print(f"holomush: {exc}", file=sys.stderr, flush=True)
            return 1
        except Exception as exc:  # a bug: say so briefly; the traceback is for --log-level debug
            _LOG.debug("start-up failed", exc_info=True)
            print(f"holomush: start-up failed unexpectedly: {exc!r}", file=sys.stderr, flush=True)
            return 1
        print(startup_summary(status), file=out, flush=True)
        await stop.wait()
        print("Stopping…", file=out, flush=True)
    finally:
        for sig in _STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        await app.stop()
    print("Stopped.", file=out, flush=True)
    return 0
