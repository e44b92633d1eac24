"""The embedded server: data survives restarts, other roles need passwords, temp dirs vanish."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from holomush_host.storage.dsn import with_credentials
from holomush_host.storage.embedded import (
    EmbeddedPostgres,
    EmbeddedPostgresError,
    start_embedded_postgres,
    temporary_postgres,
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "pgdata"
    yield path
    # If the test failed half-way, do not leave a server running.
    pid_file = path / "postmaster.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def test_a_persistent_server_keeps_its_data_across_restarts(data_dir: Path) -> None:
    first = await start_embedded_postgres(data_dir)
    try:
        dsn = await first.ensure_database("holomush")
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            await conn.execute("CREATE TABLE notes (text text)")
            await conn.execute("INSERT INTO notes VALUES ('kept')")
    finally:
        await first.aclose()
    assert not (data_dir / "postmaster.pid").exists(), "stop() should stop the server"
    # A host killed with SIGKILL leaves its pid in the shared handle list; the next start
    # must not let that stale entry keep the server running after the last real stop.
    (data_dir / ".handle_pids.json").write_text(json.dumps([_dead_pid()]))

    second = await start_embedded_postgres(data_dir)
    try:
        assert await second.ensure_database("holomush") == dsn
        async with await psycopg.AsyncConnection.connect(dsn) as conn:
            cursor = await conn.execute("SELECT text FROM notes")
            assert await cursor.fetchall() == [("kept",)]
    finally:
        await second.aclose()
    assert not (data_dir / "postmaster.pid").exists()
    assert (data_dir / "PG_VERSION").exists()


async def test_a_temporary_server_requires_passwords_for_other_roles_and_cleans_up() -> None:
    async with temporary_postgres() as server:
        data_dir = server.data_dir
        async with await psycopg.AsyncConnection.connect(server.dsn, autocommit=True) as admin:
            await admin.execute("CREATE ROLE someone LOGIN PASSWORD 'right-password'")

        async with await psycopg.AsyncConnection.connect(
            with_credentials(server.dsn, "someone", "right-password")
        ) as conn:
            cursor = await conn.execute("SELECT current_user")
            assert await cursor.fetchone() == ("someone",)
        for password in ("wrong-password", None):
            with pytest.raises(psycopg.OperationalError, match="password"):
                await psycopg.AsyncConnection.connect(
                    with_credentials(server.dsn, "someone", password)
                )
        assert data_dir.exists()

    assert not data_dir.parent.exists()


def test_a_data_directory_that_cannot_be_used_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")

    with pytest.raises(
        EmbeddedPostgresError, match=r"could not start PostgreSQL .*not-a-directory"
    ):
        EmbeddedPostgres.start(blocker / "pgdata")
