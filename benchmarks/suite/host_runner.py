"""The host under test, in its own process: the real `HostApp` (real plugins, real
PostgreSQL), driven by the suite over stdin/stdout.

Run as ``python -m suite.host_runner --plugins-dir DIR --database-url URL --data-dir DIR``.
It starts the host with telnet and gRPC on free ports of 127.0.0.1 and the telnet line
limit raised (the suite sends far more than the 10 lines/s a player may), then prints one
JSON line: ``{"telnet_port": N, "grpc_target": "...", "plugins": {"name": pid}}``. After
that each JSON line on stdin is a request answered by one JSON line on stdout:

* ``{"op": "closed_loop", "players": N, "rooms": N, "seconds": S}``,
* ``{"op": "paced", "rate": R, "rooms": N, "seconds": S}``: say load (`delivery_load`).

It stops the host when stdin closes. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from holomush_host.app.config import HostConfig
from holomush_host.app.host import HostApp, HostStartError
from holomush_host.gateway.connection import TelnetSettings
from suite import delivery_load

__all__ = ["main"]

# High enough that the line limiter never throttles the suite's telnet clients.
_UNTHROTTLED = TelnetSettings(lines_per_second=1_000_000.0, line_burst=1_000_000)


def _reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _stdin_lines() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def _handle(app: HostApp, request: dict[str, Any]) -> dict[str, Any]:
    assert app.data is not None
    events = app.data.events
    op = request.get("op")
    if op == "closed_loop":
        result = await delivery_load.closed_loop(
            events,
            players=int(request["players"]),
            rooms=int(request["rooms"]),
            seconds=float(request["seconds"]),
        )
    elif op == "paced":
        result = await delivery_load.paced(
            events,
            rate=float(request["rate"]),
            rooms=int(request["rooms"]),
            seconds=float(request["seconds"]),
        )
    else:
        return {"error": f"unknown op {op!r}"}
    return result.as_dict()


async def run(config: HostConfig) -> int:
    app = HostApp(config)
    try:
        status = await app.start()
    except HostStartError as exc:
        _reply({"error": str(exc)})
        return 1
    try:
        assert app.telnet is not None
        _reply(
            {
                "telnet_port": app.telnet.port,
                "grpc_target": status.grpc_target,
                "plugins": {p.name: p.pid for p in status.plugins},
                "problems": [str(p) for p in status.report.problems],
            }
        )
        lines = await _stdin_lines()
        while line := await lines.readline():
            _reply(await _handle(app, json.loads(line)))
    finally:
        await app.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The host under test (benchmark suite).")
    parser.add_argument("--plugins-dir", type=Path, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    config = HostConfig(
        plugins_dir=args.plugins_dir,
        data_dir=args.data_dir,
        database_url=args.database_url,
        telnet_host="127.0.0.1",
        telnet_port=0,
        grpc_port=0,
        telnet=_UNTHROTTLED,
    )
    return asyncio.run(run(config))


if __name__ == "__main__":
    raise SystemExit(main())
