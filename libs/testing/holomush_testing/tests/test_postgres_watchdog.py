"""The parent-death guard: a killed test process does not leave its PostgreSQL running."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from holomush_testing.postgres_watchdog import guard_server

GONE_TIMEOUT = 30.0
START_TIMEOUT = 120.0


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEX_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    # The embedded source, whatever this process uses.
    env.pop("HOLOMUSH_TEST_DATABASE_URL", None)
    env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"
    return env


def _process_gone(pid: int) -> bool:
    """No such process, or only its zombie (in a container nobody may reap it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" in status.read_text()
    except OSError:
        return True


async def _wait_until(condition: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(GONE_TIMEOUT):
            while not condition():  # noqa: ASYNC110 - a process, a directory: nothing signals
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out after {GONE_TIMEOUT} s waiting until {what}")


def _server_facts(dsn: str) -> tuple[Path, int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    data_dir = Path(row[0])
    pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    return data_dir, pid


def _refuses_connections(dsn: str) -> bool:
    try:
        psycopg.connect(dsn, connect_timeout=2).close()
    except psycopg.OperationalError:
        return True
    return False


@pytest.mark.parametrize("kind", ["plain", "restartable"])
async def test_a_killed_test_process_does_not_leave_its_server_running(kind: str) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "holomush_testing.tests.guarded_server_child",
        kind,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=_child_env(),
    )
    try:
        assert child.stdout is not None
        async with asyncio.timeout(START_TIMEOUT):
            line = await child.stdout.readline()
        assert line, "the child exited before starting its server"
        dsn = json.loads(line)["dsn"]
        data_dir, postmaster = _server_facts(dsn)
        assert not _process_gone(postmaster)

        child.kill()  # SIGKILL: no fixture teardown, no atexit
        await child.wait()
        assert child.returncode == -signal.SIGKILL

        await _wait_until(lambda: _process_gone(postmaster), "the postmaster is gone")
        assert _refuses_connections(dsn)
        await _wait_until(lambda: not data_dir.exists(), "the scratch directory is deleted")
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


def test_a_disarmed_guard_leaves_the_directory_alone(tmp_path: Path) -> None:
    # No server here: the guard must neither stop anything nor delete what it was given.
    keep = tmp_path / "keep"
    keep.mkdir()
    with guard_server(tmp_path / "no-server", remove=keep):
        pass
    assert keep.is_dir()


def test_the_watchdog_deletes_the_directory_when_its_pipe_closes(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    read_end, write_end = os.pipe()
    watchdog = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "holomush_testing.postgres_watchdog",
            "pg_ctl",
            str(scratch / "data"),
            str(scratch),
        ],
        stdin=read_end,
        env=_child_env(),
    )
    os.close(read_end)
    os.close(write_end)  # what the kernel does when the test process dies
    assert watchdog.wait(timeout=GONE_TIMEOUT) == 0
    assert not scratch.exists()
