"""Give each plugin that declares ``storage: postgres`` its own schema and login role.

Reference §4.5 (``SchemaProvisioner``), with the isolation the architecture asks for: for a
plugin ``core-scenes`` the schema is ``plugin_core_scenes``, owned by the login role
``holomush_plugin_core_scenes``. That role

* owns its schema and nothing else, and has no role attributes beyond LOGIN;
* may connect to the host's database (``CONNECT``, ``TEMPORARY``), which ``PUBLIC`` may not;
* cannot use the ``public`` schema (``USAGE``/``CREATE`` are revoked from ``PUBLIC``) and has
  no privilege on other plugins' schemas, which are owned by their own roles;
* gets a fresh random password on every provisioning (every plugin load); only its SCRAM
  verifier is sent to the server, so the password never appears in server logs.

Provisioning is idempotent, runs in one transaction, and is serialised by an advisory lock
so two hosts (or a host restart racing its predecessor) cannot interleave.
The host's role must have CREATEROLE and CREATE on the database; `SchemaProvisioner.open`
checks both and says how to grant them. It should also own the database (or be a superuser),
otherwise PostgreSQL silently keeps the ``PUBLIC`` privileges this module revokes.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from holomush_host.storage.dsn import (
    NotAPostgresUrlError,
    parse_postgres_url,
    with_credentials,
    with_query_params,
)

__all__ = [
    "APPLICATION_NAME",
    "PluginStorage",
    "ProvisioningError",
    "ProvisioningErrorCode",
    "SchemaProvisioner",
    "plugin_role_name",
    "plugin_schema_name",
]

_Connection = psycopg.AsyncConnection[TupleRow]

_PLUGIN_NAME = re.compile(r"^[a-z](-?[a-z0-9])*$")
# Lower case only: the plugin's DSN names the schema in search_path, where PostgreSQL
# folds unquoted identifiers to lower case.
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_LOCK_KEY = "holomush.schema_provisioner"
# Shows up in pg_stat_activity.
APPLICATION_NAME = "holomush-schema-provisioner"
# Query parameters of the host's URL that must not reach the plugin: its credentials and
# its session options (which may set the host's own search_path).
_HOST_ONLY_PARAMS = ("user", "password", "passfile", "options", "search_path")


class ProvisioningErrorCode(StrEnum):
    DSN_FORMAT = "SCHEMA_DSN_FORMAT"
    POOL_INIT_FAILED = "SCHEMA_POOL_INIT_FAILED"
    POOL_PING_FAILED = "SCHEMA_POOL_PING_FAILED"
    INSUFFICIENT_PRIVILEGES = "SCHEMA_INSUFFICIENT_PRIVILEGES"
    NOT_OPEN = "SCHEMA_PROVISIONER_NOT_OPEN"
    INVALID_IDENTIFIER = "SCHEMA_INVALID_IDENTIFIER"
    INVALID_ROLE = "SCHEMA_INVALID_ROLE"
    ROLE_FAILED = "SCHEMA_ROLE_FAILED"
    CREATE_FAILED = "SCHEMA_CREATE_FAILED"
    OWNER_FAILED = "SCHEMA_OWNER_FAILED"
    GRANT_FAILED = "SCHEMA_GRANT_FAILED"
    REVOKE_FAILED = "SCHEMA_REVOKE_FAILED"
    CONNSTRING_FAILED = "SCHEMA_CONNSTRING_FAILED"
    PURGE_FAILED = "SCHEMA_PURGE_FAILED"


class ProvisioningError(Exception):
    """Provisioning failed; ``code`` is a `ProvisioningErrorCode`, ``hint`` says what to do."""

    def __init__(
        self, code: ProvisioningErrorCode, message: str, *, hint: str | None = None
    ) -> None:
        self.code = code
        self.message = message
        self.hint = hint
        super().__init__(f"{code}: {message}" + (f" (hint: {hint})" if hint else ""))


@dataclass(frozen=True)
class PluginStorage:
    """What a plugin receives: its schema, its role and a DSN for ``ServiceConfig``.

    The DSN carries the role's password and is kept out of ``repr`` (and so out of logs).
    """

    schema: str
    role: str
    dsn: str = field(repr=False)


def plugin_schema_name(plugin_name: str) -> str:
    """``core-scenes`` → ``plugin_core_scenes``."""
    return _checked_identifier(
        "plugin_" + _checked_plugin_name(plugin_name).replace("-", "_"),
        ProvisioningErrorCode.INVALID_IDENTIFIER,
        "schema",
    )


def plugin_role_name(plugin_name: str) -> str:
    """``core-scenes`` → ``holomush_plugin_core_scenes``."""
    return _checked_identifier(
        "holomush_plugin_" + _checked_plugin_name(plugin_name).replace("-", "_"),
        ProvisioningErrorCode.INVALID_ROLE,
        "role",
    )


class SchemaProvisioner:
    """Creates and maintains per-plugin schemas and roles in the host's database.

    Use as ``async with SchemaProvisioner(url) as provisioner: await provisioner.provision(name)``
    or call `open` / `close` yourself. ``base_dsn`` must be a ``postgresql://`` URL for a role
    with CREATEROLE; the plugins' DSNs reuse its host, port, socket and database.
    """

    def __init__(self, base_dsn: str) -> None:
        try:
            parse_postgres_url(base_dsn)
        except NotAPostgresUrlError as exc:
            raise ProvisioningError(ProvisioningErrorCode.DSN_FORMAT, str(exc)) from exc
        self._base_dsn = base_dsn
        self._pool: AsyncConnectionPool[_Connection] | None = None

    async def open(self, *, connect_timeout: float = 10.0) -> None:
        """Connect, ping, and check that the host's role may create roles and schemas."""
        if self._pool is not None:
            return
        # A direct connection first, so a failure reports libpq's reason at once.
        try:
            conn = await psycopg.AsyncConnection.connect(
                self._base_dsn, autocommit=True, connect_timeout=max(1, round(connect_timeout))
            )
        except psycopg.ProgrammingError as exc:
            raise ProvisioningError(ProvisioningErrorCode.POOL_INIT_FAILED, str(exc)) from exc
        except psycopg.Error as exc:
            raise ProvisioningError(
                ProvisioningErrorCode.POOL_PING_FAILED, f"cannot reach the database: {exc}"
            ) from exc
        async with conn:
            try:
                await _check_privileges(conn)
            except psycopg.Error as exc:
                raise ProvisioningError(
                    ProvisioningErrorCode.POOL_PING_FAILED, f"the database does not answer: {exc}"
                ) from exc
        # Plugins are (re)provisioned long after start-up, when a crashed one restarts: a
        # pool that checks its connection survives a database restart in between.
        pool: AsyncConnectionPool[_Connection] = AsyncConnectionPool(
            self._base_dsn,
            min_size=1,
            max_size=1,
            kwargs={"autocommit": True, "application_name": APPLICATION_NAME},
            check=AsyncConnectionPool.check_connection,
            open=False,
            name=APPLICATION_NAME,
        )
        try:
            await pool.open(wait=True, timeout=connect_timeout)
        except PoolTimeout as exc:
            await pool.close()
            raise ProvisioningError(ProvisioningErrorCode.POOL_INIT_FAILED, str(exc)) from exc
        self._pool = pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def __aenter__(self) -> SchemaProvisioner:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def provision(self, plugin_name: str) -> PluginStorage:
        """Create or refresh ``plugin_name``'s role and schema; rotate its password."""
        schema = plugin_schema_name(plugin_name)
        role = plugin_role_name(plugin_name)
        password = secrets.token_urlsafe(32)  # 32 random bytes, base64url without padding
        async with self._transaction() as conn:
            await _ensure_role(conn, role, password, schema)
            await _ensure_schema(conn, schema, role)
            await _restrict_database(conn, role)
        try:
            dsn = with_query_params(
                with_credentials(self._base_dsn, role, password),
                drop=_HOST_ONLY_PARAMS,
                add={"search_path": schema},
            )
        except NotAPostgresUrlError as exc:
            raise ProvisioningError(ProvisioningErrorCode.CONNSTRING_FAILED, str(exc)) from exc
        return PluginStorage(schema=schema, role=role, dsn=dsn)

    async def purge(self, plugin_name: str) -> None:
        """Drop the plugin's schema, everything in it, and its role. Missing ones are fine."""
        role = plugin_role_name(plugin_name)
        async with self._transaction() as conn:
            if not await _role_exists(conn, role):
                return
            ident = sql.Identifier(role)
            code = ProvisioningErrorCode.PURGE_FAILED
            await _run(conn, code, sql.SQL("DROP OWNED BY {}").format(ident))
            await _run(conn, code, sql.SQL("DROP ROLE {}").format(ident))

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[_Connection]:
        """One transaction, serialised with every other provisioner on this database."""
        if self._pool is None:
            raise ProvisioningError(
                ProvisioningErrorCode.NOT_OPEN,
                "call open() (or use `async with`) before provisioning",
            )
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (_LOCK_KEY,)
                )
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise ProvisioningError(
                ProvisioningErrorCode.POOL_PING_FAILED, f"lost the database connection: {exc}"
            ) from exc


async def _check_privileges(conn: _Connection) -> None:
    cursor = await conn.execute(
        "SELECT current_user, current_database(), rolsuper OR rolcreaterole,"
        " has_database_privilege(current_database(), 'CREATE')"
        " FROM pg_roles WHERE rolname = current_user"
    )
    row = await cursor.fetchone()
    assert row is not None  # current_user always has a pg_roles row
    user, database, may_create_roles, may_create_schemas = (
        str(row[0]),
        str(row[1]),
        row[2],
        row[3],
    )
    if not may_create_roles:
        raise ProvisioningError(
            ProvisioningErrorCode.INSUFFICIENT_PRIVILEGES,
            f"database role {user!r} cannot create roles; the host needs CREATEROLE to give"
            " each plugin its own login role",
            hint=f"as a superuser, run: ALTER ROLE {_quoted(user)} CREATEROLE;",
        )
    if not may_create_schemas:
        raise ProvisioningError(
            ProvisioningErrorCode.INSUFFICIENT_PRIVILEGES,
            f"database role {user!r} cannot create schemas in database {database!r}",
            hint=f"as the database owner, run: GRANT CREATE ON DATABASE {_quoted(database)} TO {_quoted(user)};",
        )


async def _ensure_role(conn: _Connection, role: str, password: str, schema: str) -> None:
    ident = sql.Identifier(role)
    # Hash client-side (like psql's \password) so the password itself is never sent.
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
    secret = sql.Literal(verifier.decode())
    code = ProvisioningErrorCode.ROLE_FAILED
    if await _role_exists(conn, role):
        # Attributes are not restated: a CREATEROLE (non-superuser) host may not even name
        # some of them. The check below catches a role that was given any.
        statement = sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}")
    else:
        statement = sql.SQL(
            "CREATE ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"
            " NOREPLICATION NOBYPASSRLS PASSWORD {}"
        )
    await _run(conn, code, statement.format(ident, secret))
    # PostgreSQL 16+: handing the schema to the role needs membership in it.
    await _run(conn, code, sql.SQL("GRANT {} TO CURRENT_USER").format(ident))
    await _run(
        conn,
        code,
        sql.SQL("ALTER ROLE {} SET search_path = {}").format(ident, sql.Identifier(schema)),
    )
    cursor = await conn.execute(
        "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls"
        " FROM pg_roles WHERE rolname = %s",
        (role,),
    )
    row = await cursor.fetchone()
    if row is None or row[0]:
        raise ProvisioningError(
            code,
            f"role {role!r} has privileges a plugin role must not have"
            " (SUPERUSER, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS)",
            hint=f"as a superuser, run: DROP ROLE {_quoted(role)}; then load the plugin again",
        )


async def _ensure_schema(conn: _Connection, schema: str, role: str) -> None:
    schema_ident, role_ident = sql.Identifier(schema), sql.Identifier(role)
    await _run(
        conn,
        ProvisioningErrorCode.CREATE_FAILED,
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(schema_ident, role_ident),
    )
    await _run(
        conn,
        ProvisioningErrorCode.OWNER_FAILED,
        sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema_ident, role_ident),
    )
    await _run(
        conn,
        ProvisioningErrorCode.REVOKE_FAILED,
        sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema_ident),
    )


async def _restrict_database(conn: _Connection, role: str) -> None:
    role_ident = sql.Identifier(role)
    database = sql.Identifier(await _current_database(conn))
    revokes = (
        # Only roles granted CONNECT (the host's, by ownership; plugins', below) get in.
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database),
        # No role reaches objects in "public" through PUBLIC's default USAGE/CREATE.
        sql.SQL("REVOKE ALL ON SCHEMA public FROM PUBLIC"),
        sql.SQL("REVOKE ALL ON SCHEMA public FROM {}").format(role_ident),
    )
    for statement in revokes:
        await _run(conn, ProvisioningErrorCode.REVOKE_FAILED, statement)
    await _run(
        conn,
        ProvisioningErrorCode.GRANT_FAILED,
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(database, role_ident),
    )


async def _current_database(conn: _Connection) -> str:
    cursor = await conn.execute("SELECT current_database()")
    row = await cursor.fetchone()
    assert row is not None
    return str(row[0])


async def _role_exists(conn: _Connection, role: str) -> bool:
    cursor = await conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    return await cursor.fetchone() is not None


async def _run(
    conn: _Connection,
    code: ProvisioningErrorCode,
    statement: sql.SQL | sql.Composed,
) -> None:
    try:
        await conn.execute(statement)
    except psycopg.Error as exc:
        # Describe the statement by its first words only: it may contain a password hash.
        action = " ".join(statement.as_string(conn).split()[:3])
        raise ProvisioningError(code, f"{action} … failed: {exc}") from exc


def _checked_plugin_name(plugin_name: str) -> str:
    if not _PLUGIN_NAME.fullmatch(plugin_name):
        raise ProvisioningError(
            ProvisioningErrorCode.INVALID_IDENTIFIER,
            f"invalid plugin name {plugin_name!r}: it must start with a-z and contain only"
            " a-z, 0-9 and single hyphens, not ending with a hyphen",
        )
    return plugin_name


def _checked_identifier(name: str, code: ProvisioningErrorCode, kind: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise ProvisioningError(
            code,
            f"{kind} name {name!r} is not a valid PostgreSQL identifier (at most 63 characters)",
        )
    return name


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
