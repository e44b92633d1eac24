"""URL editing keeps exactly what libpq reads and never leaks the URL in errors."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from holomush_host.storage.dsn import (
    NotAPostgresUrlError,
    database_of,
    query_params,
    with_credentials,
    with_database,
    with_query_params,
)

SOCKET_URL = "postgresql://postgres@/postgres?host=/tmp/pg%20dir&port=5432"


def test_credentials_are_replaced_and_query_credentials_dropped() -> None:
    url = "postgresql://host:secret@db.example:6543/app?user=other&password=x&sslmode=require"

    result = with_credentials(url, "holomush_plugin_a", "p+w/=?")

    assert conninfo_to_dict(result) == {
        "user": "holomush_plugin_a",
        "password": "p+w/=?",
        "host": "db.example",
        "port": "6543",
        "dbname": "app",
        "sslmode": "require",
    }


def test_socket_directories_with_spaces_survive_the_round_trip() -> None:
    result = with_database(with_credentials(SOCKET_URL, "r", "pw"), "other db")

    assert conninfo_to_dict(result) == {
        "user": "r",
        "password": "pw",
        "host": "/tmp/pg dir",
        "port": "5432",
        "dbname": "other db",
    }
    assert database_of(result) == "other db"


def test_query_params_are_dropped_and_added() -> None:
    url = "postgres://u@h/db?options=-c%20search_path%3Dhost&search_path=old&application_name=a+b"

    result = with_query_params(url, drop=["options"], add={"search_path": "plugin_x"})

    assert query_params(result) == [("application_name", "a+b"), ("search_path", "plugin_x")]


@pytest.mark.parametrize(
    "text",
    ["host=/tmp dbname=x password=secret", "mysql://u:secret@h/db", "http://[::1"],
)
def test_anything_but_a_postgres_url_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(NotAPostgresUrlError) as caught:
        with_database(text, "x")

    assert "secret" not in str(caught.value)
