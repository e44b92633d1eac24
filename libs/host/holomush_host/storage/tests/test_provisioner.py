"""SchemaProvisioner on a real PostgreSQL: what a plugin's role can and cannot do."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import pytest_asyncio
from psycopg import errors, sql

from holomush_host.storage.dsn import (
    database_of,
    with_credentials,
    with_database,
    with_query_params,
)
from holomush_host.storage.provisioner import (
    APPLICATION_NAME,
    PluginStorage,
    ProvisioningError,
    ProvisioningErrorCode,
    SchemaProvisioner,
    plugin_role_name,
    plugin_schema_name,
)
from holomush_sdk import storage

Connection = psycopg.AsyncConnection[tuple[object, ...]]


def _unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


@pytest_asyncio.fixture
async def provisioner(postgres_dsn: str) -> AsyncIterator[SchemaProvisioner]:
    async with SchemaProvisioner(postgres_dsn) as provisioner:
        yield provisioner


@pytest_asyncio.fixture
async def provision(
    provisioner: SchemaProvisioner,
) -> AsyncIterator[Callable[[str], Awaitable[PluginStorage]]]:
    """Provision plugins by name; purge them afterwards (roles outlive databases)."""
    provisioned: list[str] = []

    async def run(name: str) -> PluginStorage:
        provisioned.append(name)
        return await provisioner.provision(name)

    yield run
    for name in provisioned:
        await provisioner.purge(name)


async def _as_plugin(plugin: PluginStorage) -> Connection:
    conninfo = storage.libpq_conninfo(plugin.dsn)
    return await psycopg.AsyncConnection.connect(conninfo, autocommit=True)


async def _server_checks_passwords(dsn: str, role: str) -> bool:
    try:
        conn = await psycopg.AsyncConnection.connect(with_credentials(dsn, role, "certainly-wrong"))
    except psycopg.OperationalError:
        return True
    await conn.close()
    return False


async def test_a_plugin_gets_its_own_schema_and_role_and_a_dsn_for_them(
    provision: Callable[[str], Awaitable[PluginStorage]], postgres_conn: Connection
) -> None:
    name = _unique("scenes")

    plugin = await provision(name)

    assert plugin.schema == plugin_schema_name(name) == "plugin_" + name.replace("-", "_")
    assert plugin.role == plugin_role_name(name) == "holomush_plugin_" + name.replace("-", "_")
    assert parse_qs(urlsplit(plugin.dsn).query)["search_path"] == [plugin.schema]
    assert storage.parse_schema_from_conn_string(plugin.dsn) == plugin.schema
    password = urlsplit(plugin.dsn).password
    assert password
    assert password not in repr(plugin)

    pool = await storage.connect(plugin.dsn)
    async with pool, pool.connection() as conn:
        cursor = await conn.execute("SELECT current_user, current_schema()")
        assert await cursor.fetchone() == (plugin.role, plugin.schema)
        await conn.execute("CREATE TABLE scenes (id text PRIMARY KEY)")
        await conn.execute("INSERT INTO scenes VALUES ('scene-1')")

    cursor = await postgres_conn.execute(
        "SELECT schemaname, tableowner FROM pg_tables WHERE tablename = 'scenes'"
    )
    assert await cursor.fetchall() == [(plugin.schema, plugin.role)]
    cursor = await postgres_conn.execute(
        "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls"
        " FROM pg_roles WHERE rolname = %s",
        (plugin.role,),
    )
    assert await cursor.fetchone() == (True, False, False, False, False, False)


async def test_a_plugin_role_cannot_reach_public_or_another_plugins_schema(
    provision: Callable[[str], Awaitable[PluginStorage]], postgres_conn: Connection
) -> None:
    await postgres_conn.execute("CREATE TABLE public.host_secrets (value text)")
    await postgres_conn.execute("INSERT INTO public.host_secrets VALUES ('s3cret')")
    alice, bob = await provision(_unique("alice")), await provision(_unique("bob"))
    async with await _as_plugin(bob) as conn:
        await conn.execute("CREATE TABLE diary (entry text)")
        await conn.execute("INSERT INTO diary VALUES ('private')")

    async with await _as_plugin(alice) as conn:
        forbidden: list[str | sql.Composed] = [
            "SELECT value FROM public.host_secrets",
            "CREATE TABLE public.intruder (id int)",
            sql.SQL("SELECT entry FROM {}.diary").format(sql.Identifier(bob.schema)),
            sql.SQL("CREATE TABLE {}.intruder (id int)").format(sql.Identifier(bob.schema)),
        ]
        for statement in forbidden:
            with pytest.raises(errors.InsufficientPrivilege):
                await conn.execute(statement)
        # Pointing the search_path at public does not help either: without USAGE the
        # schema is skipped, so the table is not even found.
        await conn.execute("SET search_path TO public")
        with pytest.raises((errors.InsufficientPrivilege, errors.UndefinedTable)):
            await conn.execute("SELECT value FROM host_secrets")

    cursor = await postgres_conn.execute(
        "SELECT count(*) FROM pg_tables WHERE tablename = 'intruder'"
    )
    assert await cursor.fetchone() == (0,)


async def test_reprovisioning_keeps_the_data_and_rotates_the_password(
    provision: Callable[[str], Awaitable[PluginStorage]], postgres_dsn: str
) -> None:
    name = _unique("restart")
    first = await provision(name)
    async with await _as_plugin(first) as conn:
        await conn.execute("CREATE TABLE kept (value text)")
        await conn.execute("INSERT INTO kept VALUES ('still here')")

    second = await provision(name)

    assert (second.schema, second.role) == (first.schema, first.role)
    assert urlsplit(second.dsn).password != urlsplit(first.dsn).password
    async with await _as_plugin(second) as conn:
        cursor = await conn.execute("SELECT value FROM kept")
        assert await cursor.fetchall() == [("still here",)]
    if await _server_checks_passwords(postgres_dsn, first.role):
        with pytest.raises(psycopg.OperationalError, match="password"):
            await _as_plugin(first)


async def test_two_hosts_provisioning_the_same_plugin_at_once_both_succeed(
    postgres_dsn: str,
) -> None:
    name = _unique("race")
    async with SchemaProvisioner(postgres_dsn) as one, SchemaProvisioner(postgres_dsn) as two:
        try:
            results = await asyncio.gather(one.provision(name), two.provision(name))
            assert {result.schema for result in results} == {plugin_schema_name(name)}
        finally:
            await one.purge(name)


async def test_provisioning_survives_a_dropped_database_connection(
    provision: Callable[[str], Awaitable[PluginStorage]], postgres_conn: Connection
) -> None:
    name = _unique("survivor")
    await provision(name)
    cursor = await postgres_conn.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE application_name = %s AND datname = current_database()",
        (APPLICATION_NAME,),
    )
    assert await cursor.fetchone() == (1,)

    plugin = await provision(name)

    async with await _as_plugin(plugin) as conn:
        cursor = await conn.execute("SELECT current_user")
        assert await cursor.fetchone() == (plugin.role,)


async def test_purge_drops_schema_and_role_and_is_idempotent(
    provisioner: SchemaProvisioner, postgres_conn: Connection
) -> None:
    name = _unique("gone")
    plugin = await provisioner.provision(name)
    async with await _as_plugin(plugin) as conn:
        await conn.execute("CREATE TABLE doomed (id int)")

    await provisioner.purge(name)
    await provisioner.purge(name)

    cursor = await postgres_conn.execute(
        "SELECT (SELECT count(*) FROM pg_roles WHERE rolname = %s),"
        " (SELECT count(*) FROM pg_namespace WHERE nspname = %s)",
        (plugin.role, plugin.schema),
    )
    assert await cursor.fetchone() == (0, 0)


async def test_the_hosts_own_session_options_do_not_reach_the_plugin(
    postgres_dsn: str, provision: Callable[[str], Awaitable[PluginStorage]]
) -> None:
    host_dsn = with_query_params(postgres_dsn, add={"options": "-c search_path=public"})
    async with SchemaProvisioner(host_dsn) as provisioner:
        plugin = await provisioner.provision(name := _unique("opts"))
        try:
            assert "options" not in parse_qs(urlsplit(plugin.dsn).query)
            async with await _as_plugin(plugin) as conn:
                cursor = await conn.execute("SHOW search_path")
                assert await cursor.fetchone() == (plugin.schema,)
        finally:
            await provisioner.purge(name)


async def test_a_host_role_without_createrole_gets_an_actionable_hint(
    postgres_dsn: str, postgres_conn: Connection
) -> None:
    role, password = f"limited_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    await postgres_conn.execute(
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(password)
        )
    )
    # Other tests here provisioned plugins, which revoked CONNECT from PUBLIC.
    await postgres_conn.execute(
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(database_of(postgres_dsn)), sql.Identifier(role)
        )
    )
    try:
        provisioner = SchemaProvisioner(with_credentials(postgres_dsn, role, password))
        with pytest.raises(ProvisioningError) as caught:
            await provisioner.open()

        assert caught.value.code == ProvisioningErrorCode.INSUFFICIENT_PRIVILEGES
        assert "CREATEROLE" in caught.value.message
        assert caught.value.hint == f'as a superuser, run: ALTER ROLE "{role}" CREATEROLE;'
        with pytest.raises(ProvisioningError) as not_open:
            await provisioner.provision("anything")
        assert not_open.value.code == ProvisioningErrorCode.NOT_OPEN
    finally:
        await postgres_conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        await postgres_conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


async def test_a_createrole_host_that_owns_its_database_isolates_plugins_too(
    postgres_dsn: str, postgres_conn: Connection
) -> None:
    host_role, password = f"host_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    database = f"holomush_host_db_{secrets.token_hex(3)}"
    await postgres_conn.execute(
        sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
            sql.Identifier(host_role), sql.Literal(password)
        )
    )
    await postgres_conn.execute(
        sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(database), sql.Identifier(host_role)
        )
    )
    host_dsn = with_database(with_credentials(postgres_dsn, host_role, password), database)
    name = _unique("guest")
    try:
        async with await psycopg.AsyncConnection.connect(host_dsn, autocommit=True) as host:
            await host.execute("CREATE TABLE public.host_secrets (value text)")
        async with SchemaProvisioner(host_dsn) as provisioner:
            plugin = await provisioner.provision(name)
            plugin = await provisioner.provision(name)  # re-provisioning as a non-superuser
            async with await _as_plugin(plugin) as conn:
                await conn.execute("CREATE TABLE mine (id int)")
                with pytest.raises(errors.InsufficientPrivilege):
                    await conn.execute("SELECT * FROM public.host_secrets")
            await provisioner.purge(name)
    finally:
        await postgres_conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )
        for role in (plugin_role_name(name), host_role):
            await postgres_conn.execute(
                sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role))
            )


@pytest.mark.parametrize(
    ("plugin_name", "code"),
    [
        ("Core-Scenes", ProvisioningErrorCode.INVALID_IDENTIFIER),
        ("core_scenes", ProvisioningErrorCode.INVALID_IDENTIFIER),
        ("core--scenes", ProvisioningErrorCode.INVALID_IDENTIFIER),
        ("scenes-", ProvisioningErrorCode.INVALID_IDENTIFIER),
        ("x; DROP TABLE users", ProvisioningErrorCode.INVALID_IDENTIFIER),
        ("a" * 50, ProvisioningErrorCode.INVALID_ROLE),  # the schema fits, the role does not
        ("a" * 60, ProvisioningErrorCode.INVALID_IDENTIFIER),
    ],
)
async def test_bad_plugin_names_are_refused_before_touching_the_database(
    provisioner: SchemaProvisioner,
    postgres_conn: Connection,
    plugin_name: str,
    code: ProvisioningErrorCode,
) -> None:
    cursor = await postgres_conn.execute("SELECT count(*) FROM pg_roles")
    roles_before = await cursor.fetchone()

    with pytest.raises(ProvisioningError) as caught:
        await provisioner.provision(plugin_name)

    assert caught.value.code == code
    cursor = await postgres_conn.execute("SELECT count(*) FROM pg_roles")
    assert await cursor.fetchone() == roles_before


@pytest.mark.parametrize(
    "dsn", ["host=/tmp dbname=holomush password=secret", "mysql://u:secret@h/db"]
)
def test_a_base_dsn_that_is_not_a_postgres_url_is_refused(dsn: str) -> None:
    with pytest.raises(ProvisioningError) as caught:
        SchemaProvisioner(dsn)

    assert caught.value.code == ProvisioningErrorCode.DSN_FORMAT
    assert "secret" not in str(caught.value)


async def test_an_unreachable_database_is_reported_as_a_ping_failure(postgres_dsn: str) -> None:
    missing = with_database(postgres_dsn, f"no_such_db_{secrets.token_hex(3)}")

    with pytest.raises(ProvisioningError) as caught:
        await SchemaProvisioner(missing).open()

    assert caught.value.code == ProvisioningErrorCode.POOL_PING_FAILED
    assert "no_such_db_" in caught.value.message


async def test_a_plugin_role_runs_its_migrations_inside_its_own_schema(
    provision: Callable[[str], Awaitable[PluginStorage]], postgres_conn: Connection, tmp_path: Path
) -> None:
    plugin = await provision(_unique("migrating"))
    (tmp_path / "000001_scenes.up.sql").write_text("CREATE TABLE scenes (id text PRIMARY KEY);")

    pool = await storage.connect(plugin.dsn)
    async with pool:
        assert await storage.run_migrations(pool, tmp_path) == ["000001_scenes.up.sql"]
        async with pool.connection() as conn:
            cursor = await conn.execute("SELECT version, name FROM plugin_migrations")
            assert await cursor.fetchall() == [(1, "000001_scenes.up.sql")]

    cursor = await postgres_conn.execute(
        "SELECT DISTINCT schemaname FROM pg_tables WHERE tablename IN ('scenes', '_yoyo_migration')"
    )
    assert await cursor.fetchall() == [(plugin.schema,)]
