"""The PostgreSQL fixtures: a working database per module, and a different one per module."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import psycopg
import pytest

from holomush_testing.postgres import TEST_DATABASE_URL_ENV, PostgresTestServer

pytest_plugins = ["pytester"]


async def test_a_table_can_be_created_written_and_read(
    postgres_conn: psycopg.AsyncConnection,
) -> None:
    await postgres_conn.execute(
        "CREATE TABLE greetings (id serial PRIMARY KEY, text text NOT NULL)"
    )
    await postgres_conn.execute(
        "INSERT INTO greetings (text) VALUES (%s), (%s)", ("hello", "bonjour")
    )

    cursor = await postgres_conn.execute("SELECT text FROM greetings ORDER BY id")

    assert await cursor.fetchall() == [("hello",), ("bonjour",)]


async def test_the_database_is_fresh_and_named_for_the_module(
    postgres_conn: psycopg.AsyncConnection,
) -> None:
    cursor = await postgres_conn.execute(
        "SELECT current_database(), count(*) FROM pg_tables WHERE schemaname = 'public'"
    )
    row = await cursor.fetchone()
    assert row is not None
    name, public_tables = row
    assert name.startswith("holomush_test_")
    assert "test_postgres_fixture" in name
    assert public_tables == 1  # only the table the test above created


def test_two_modules_get_different_databases_which_are_dropped_afterwards(
    pytester: pytest.Pytester,
    postgres_server: PostgresTestServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # The inner session reuses this process's server through the environment source.
    monkeypatch.setenv(TEST_DATABASE_URL_ENV, postgres_server.admin_dsn)
    record = tmp_path / "databases.jsonl"
    inner_test = textwrap.dedent(
        f"""
        import json
        import psycopg

        def test_record_database(postgres_dsn):
            with psycopg.connect(postgres_dsn, autocommit=True) as conn:
                conn.execute("CREATE TABLE marker (id int)")
                name = conn.execute("SELECT current_database()").fetchone()[0]
            with open({str(record)!r}, "a") as out:
                out.write(json.dumps(name) + "\\n")
        """
    )
    pytester.makepyfile(test_module_one=inner_test, test_module_two=inner_test)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")

    result = pytester.runpytest_inprocess("-p", "holomush_testing.pytest_plugin", "-q")

    result.assert_outcomes(passed=2)
    names = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(names) == 2
    assert names[0] != names[1]
    with psycopg.connect(postgres_server.admin_dsn, autocommit=True) as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = ANY(%s)", (names,)
        ).fetchall()
    assert left == []
