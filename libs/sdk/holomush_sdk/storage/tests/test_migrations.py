"""run_migrations / rollback_migrations on a real PostgreSQL, from directories and zips."""

from __future__ import annotations

import asyncio
import importlib
import importlib.resources
import secrets
import sys
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
import pytest_asyncio
from psycopg import sql

from holomush_sdk.storage import (
    PluginPool,
    StorageError,
    StorageErrorCode,
    connect,
    rollback_migrations,
    run_migrations,
)
from holomush_testing.postgres import with_search_path

Connection = psycopg.AsyncConnection[tuple[object, ...]]


@pytest_asyncio.fixture
async def schema(postgres_conn: Connection) -> str:
    """A fresh, empty schema for the test (the plugin's schema)."""
    name = f"plugin_{secrets.token_hex(4)}"
    await postgres_conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    return name


@pytest.fixture
def schema_dsn(postgres_dsn: str, schema: str) -> str:
    return with_search_path(postgres_dsn, schema)


@pytest_asyncio.fixture
async def pool(schema_dsn: str) -> AsyncIterator[PluginPool]:
    pool = await connect(schema_dsn, max_size=2)
    async with pool:
        yield pool


def write_migrations(directory: Path, files: dict[str, str] | dict[str, str | bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return directory


async def applied(pool: PluginPool) -> list[tuple[object, ...]]:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT version, name FROM plugin_migrations ORDER BY version")
        return await cursor.fetchall()


async def tables(postgres_conn: Connection, schema: str) -> set[str]:
    cursor = await postgres_conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
    )
    return {str(row[0]) for row in await cursor.fetchall()}


async def test_migrations_apply_in_version_order_once_and_are_recorded(
    pool: PluginPool, tmp_path: Path, postgres_conn: Connection, schema: str
) -> None:
    migrations = write_migrations(
        tmp_path,
        {
            "000001_items.up.sql": "CREATE TABLE items (id int PRIMARY KEY);",
            # Versions need not share a width: 2 runs before 10 although "10_" < "2_".
            "2_labels.up.sql": "CREATE TABLE labels (item int REFERENCES items (id), text text);",
            "10_seed.up.sql": "INSERT INTO items VALUES (1);\nINSERT INTO labels VALUES (1, 'first');",
            "README.md": "not a migration",
        },
    )

    first = await run_migrations(pool, migrations)
    second = await run_migrations(pool, migrations)

    assert first == ["000001_items.up.sql", "2_labels.up.sql", "10_seed.up.sql"]
    assert second == []
    assert await applied(pool) == [
        (1, "000001_items.up.sql"),
        (2, "2_labels.up.sql"),
        (10, "10_seed.up.sql"),
    ]
    assert {"items", "labels"} <= await tables(postgres_conn, schema)
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT count(*), min(applied_at) IS NOT NULL FROM plugin_migrations"
        )
        assert await cursor.fetchone() == (3, True)
        cursor = await conn.execute("SELECT count(*) FROM labels")
        assert await cursor.fetchone() == (1,)


async def test_a_migration_added_later_is_applied_alone(pool: PluginPool, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path, {"000001_a.up.sql": "CREATE TABLE a (id int);"})
    await run_migrations(pool, migrations)
    write_migrations(tmp_path, {"000002_b.up.sql": "INSERT INTO a VALUES (2);"})

    assert await run_migrations(pool, migrations) == ["000002_b.up.sql"]
    assert await applied(pool) == [(1, "000001_a.up.sql"), (2, "000002_b.up.sql")]


async def test_two_concurrent_runs_apply_each_migration_exactly_once(
    schema_dsn: str, tmp_path: Path
) -> None:
    migrations = write_migrations(
        tmp_path,
        {"000001_log.up.sql": "CREATE TABLE runs (migration int);\nINSERT INTO runs VALUES (1);"},
    )
    # Bookkeeping exists already (as after a plugin's first start), so nothing but the
    # advisory lock keeps the two runs below apart.
    await run_migrations(schema_dsn, migrations)
    write_migrations(
        tmp_path,
        {
            # Slow enough that, without the lock, the second run would start meanwhile.
            "000002_slow.up.sql": "DO $$ BEGIN PERFORM pg_sleep(0.3); END $$;\nINSERT INTO runs VALUES (2);",
            "000003_more.up.sql": "INSERT INTO runs VALUES (3);",
        },
    )
    first_pool, second_pool = await connect(schema_dsn), await connect(schema_dsn)
    async with first_pool, second_pool:
        results = await asyncio.gather(
            run_migrations(first_pool, migrations), run_migrations(second_pool, migrations)
        )

        async with first_pool.connection() as conn:
            cursor = await conn.execute("SELECT migration FROM runs ORDER BY migration")
            assert await cursor.fetchall() == [(1,), (2,), (3,)]
    assert sorted(results, key=len) == [[], ["000002_slow.up.sql", "000003_more.up.sql"]]


async def test_a_failing_migration_rolls_back_entirely_and_names_its_file(
    schema_dsn: str, tmp_path: Path, postgres_conn: Connection, schema: str
) -> None:
    migrations = write_migrations(
        tmp_path,
        {
            "000001_ok.up.sql": "CREATE TABLE ok (id int);",
            "000002_broken.up.sql": "CREATE TABLE half (id int);\nINSERT INTO missing_table VALUES (1);",
            "000003_after.up.sql": "CREATE TABLE after (id int);",
        },
    )

    with pytest.raises(StorageError) as caught:
        await run_migrations(schema_dsn, migrations)

    assert caught.value.code == StorageErrorCode.MIGRATION_EXEC_FAILED
    assert "000002_broken.up.sql" in caught.value.message
    assert "missing_table" in caught.value.message
    assert await tables(postgres_conn, schema) >= {"ok"}
    assert not {"half", "after"} & await tables(postgres_conn, schema)

    write_migrations(tmp_path, {"000002_broken.up.sql": "CREATE TABLE half (id int);"})
    assert await run_migrations(schema_dsn, migrations) == [
        "000002_broken.up.sql",
        "000003_after.up.sql",
    ]


async def test_down_migrations_roll_back_newest_first(
    pool: PluginPool, tmp_path: Path, postgres_conn: Connection, schema: str
) -> None:
    migrations = write_migrations(
        tmp_path,
        {
            "000001_scenes.up.sql": "CREATE TABLE scenes (id text PRIMARY KEY);",
            "000001_scenes.down.sql": "DROP TABLE scenes;",
            "000002_members.up.sql": "CREATE TABLE members (scene text REFERENCES scenes (id));",
            "000002_members.down.sql": "DROP TABLE members;",
        },
    )
    await run_migrations(pool, migrations)

    assert await rollback_migrations(pool, migrations, to_version=1) == ["000002_members.down.sql"]
    assert await applied(pool) == [(1, "000001_scenes.up.sql")]
    assert "members" not in await tables(postgres_conn, schema)

    assert await rollback_migrations(pool, migrations) == ["000001_scenes.down.sql"]
    assert await applied(pool) == []
    assert not {"scenes", "members"} & await tables(postgres_conn, schema)

    assert len(await run_migrations(pool, migrations)) == 2


async def test_rolling_back_without_a_down_file_changes_nothing(
    pool: PluginPool, tmp_path: Path, postgres_conn: Connection, schema: str
) -> None:
    migrations = write_migrations(
        tmp_path,
        {
            "000001_a.up.sql": "CREATE TABLE a (id int);",
            "000001_a.down.sql": "DROP TABLE a;",
            "000002_b.up.sql": "CREATE TABLE b (id int);",
        },
    )
    await run_migrations(pool, migrations)

    with pytest.raises(StorageError) as caught:
        await rollback_migrations(pool, migrations)

    assert caught.value.code == StorageErrorCode.MIGRATION_DOWN_MISSING
    assert "000002_b.down.sql" in caught.value.message
    assert {"a", "b"} <= await tables(postgres_conn, schema)
    assert len(await applied(pool)) == 2


@pytest.mark.parametrize(
    ("files", "named"),
    [
        ({"create_things.up.sql": "SELECT 1;"}, "create_things.up.sql"),
        ({"000001_two words.up.sql": "SELECT 1;"}, "000001_two words.up.sql"),
        ({"000001_a.up.sql": "SELECT 1;", "1_b.up.sql": "SELECT 1;"}, "version 1"),
        ({"000002_b.down.sql": "SELECT 1;"}, "000002_b.down.sql"),
        ({"000001_a.up.sql": b"\xff\xfe not utf-8"}, "000001_a.up.sql"),
    ],
)
async def test_badly_named_or_unreadable_files_are_refused_before_anything_runs(
    schema_dsn: str,
    tmp_path: Path,
    postgres_conn: Connection,
    schema: str,
    files: dict[str, str | bytes],
    named: str,
) -> None:
    write_migrations(tmp_path, files)

    with pytest.raises(StorageError) as caught:
        await run_migrations(schema_dsn, tmp_path)

    assert caught.value.code == StorageErrorCode.MIGRATION_READ_FAILED
    assert named in caught.value.message
    assert await tables(postgres_conn, schema) == set()


async def test_a_missing_package_or_schema_is_reported(
    postgres_dsn: str, schema_dsn: str, tmp_path: Path
) -> None:
    with pytest.raises(StorageError) as no_package:
        await run_migrations(schema_dsn, "holomush_no_such_package.migrations")
    assert no_package.value.code == StorageErrorCode.MIGRATION_READ_FAILED

    migrations = write_migrations(tmp_path, {"000001_a.up.sql": "CREATE TABLE a (id int);"})
    with pytest.raises(StorageError) as no_schema:
        await run_migrations(with_search_path(postgres_dsn, "plugin_does_not_exist"), migrations)
    assert no_schema.value.code == StorageErrorCode.MIGRATION_TABLE_FAILED


async def test_a_migration_may_opt_out_of_the_transaction(
    pool: PluginPool, tmp_path: Path, postgres_conn: Connection, schema: str
) -> None:
    migrations = write_migrations(
        tmp_path,
        {
            "000001_t.up.sql": "CREATE TABLE t (id int);",
            # CREATE INDEX CONCURRENTLY refuses to run inside a transaction block.
            "000002_index.up.sql": "-- transactional: false\nCREATE INDEX CONCURRENTLY t_id ON t (id);",
        },
    )

    assert len(await run_migrations(pool, migrations)) == 2
    cursor = await postgres_conn.execute(
        "SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND indexname = 't_id'", (schema,)
    )
    assert await cursor.fetchone() == (1,)


@pytest.fixture
def zipped_plugin(tmp_path: Path) -> Iterator[str]:
    """A plugin package importable only from a zip file, like a zipped PEX."""
    package = f"zipped_plugin_{secrets.token_hex(4)}"
    archive = tmp_path / "plugin.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"{package}/__init__.py", "")
        zipped.writestr(f"{package}/migrations/__init__.py", "")
        zipped.writestr(
            f"{package}/migrations/000001_notes.up.sql", "CREATE TABLE notes (text text);"
        )
        zipped.writestr(f"{package}/migrations/000001_notes.down.sql", "DROP TABLE notes;")
        zipped.writestr(f"{package}/sql/000001_other.up.sql", "CREATE TABLE other (id int);")
    sys.path.insert(0, str(archive))
    importlib.invalidate_caches()
    try:
        yield package
    finally:
        sys.path.remove(str(archive))
        for name in [name for name in sys.modules if name.split(".")[0] == package]:
            del sys.modules[name]


async def test_migrations_are_read_from_a_zipped_package(
    postgres_conn: Connection, postgres_dsn: str, zipped_plugin: str, tmp_path: Path
) -> None:
    package_files = importlib.resources.files(zipped_plugin)
    assert isinstance(package_files, zipfile.Path)
    schemas = [f"plugin_{secrets.token_hex(4)}" for _ in range(2)]
    for schema in schemas:
        await postgres_conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))

    by_name = with_search_path(postgres_dsn, schemas[0])
    assert await run_migrations(by_name, f"{zipped_plugin}.migrations") == ["000001_notes.up.sql"]
    assert await rollback_migrations(by_name, f"{zipped_plugin}.migrations") == [
        "000001_notes.down.sql"
    ]
    # A plain directory inside the package (no __init__.py), as a Traversable.
    by_path = with_search_path(postgres_dsn, schemas[1])
    assert await run_migrations(by_path, package_files / "sql") == ["000001_other.up.sql"]
    assert await tables(postgres_conn, schemas[1]) >= {"other"}
