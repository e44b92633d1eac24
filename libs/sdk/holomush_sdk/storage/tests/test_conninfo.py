"""Reading the host's DSN: the schema, and the translation libpq needs."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from holomush_sdk.errors import PluginError
from holomush_sdk.storage import (
    StorageError,
    StorageErrorCode,
    libpq_conninfo,
    parse_schema_from_conn_string,
)

HOST_DSN = "postgresql://holomush_plugin_core_scenes:pw@/holomush?host=/run/pg&port=5432&search_path=plugin_core_scenes"


def test_the_schema_is_the_search_path_parameter() -> None:
    assert parse_schema_from_conn_string(HOST_DSN) == "plugin_core_scenes"


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://u:pw@h/db",
        "postgresql://u:pw@h/db?search_path=",
        "host=/tmp dbname=db search_path=plugin_x",
    ],
)
def test_a_dsn_without_search_path_is_refused(dsn: str) -> None:
    with pytest.raises(StorageError) as caught:
        parse_schema_from_conn_string(dsn)

    assert caught.value.code == StorageErrorCode.MISSING_SEARCH_PATH
    assert caught.value.message == "connection string missing search_path parameter"


def test_an_unparsable_dsn_has_its_own_code() -> None:
    with pytest.raises(StorageError) as caught:
        parse_schema_from_conn_string("postgresql://[::1/db?search_path=x")

    assert caught.value.code == StorageErrorCode.CONNSTRING_PARSE_FAILED


def test_search_path_becomes_a_session_option_for_libpq() -> None:
    params = conninfo_to_dict(libpq_conninfo(HOST_DSN))

    assert params == {
        "user": "holomush_plugin_core_scenes",
        "password": "pw",
        "dbname": "holomush",
        "host": "/run/pg",
        "port": "5432",
        "options": "-c search_path=plugin_core_scenes",
    }


def test_existing_options_are_kept_and_odd_characters_escaped() -> None:
    dsn = "postgresql://u@h/db?options=-c%20statement_timeout%3D5s&search_path=my%20schema"

    params = conninfo_to_dict(libpq_conninfo(dsn))

    assert params["options"] == "-c statement_timeout=5s -c search_path=my\\ schema"


def test_key_value_dsns_pass_through() -> None:
    dsn = "host=/run/pg dbname=holomush options='-c search_path=plugin_x'"

    assert libpq_conninfo(dsn) == dsn


def test_a_dsn_libpq_cannot_read_is_a_connect_failure() -> None:
    with pytest.raises(StorageError) as caught:
        libpq_conninfo("postgresql://u@h/db?bogus_parameter=1")

    assert caught.value.code == StorageErrorCode.DB_CONNECT_FAILED
    assert "bogus_parameter" in caught.value.message


def test_storage_errors_cross_the_wire_with_their_code() -> None:
    error = StorageError(StorageErrorCode.DB_PING_FAILED, "cannot reach the database")

    assert isinstance(error, PluginError)
    assert error.wire_message() == "PLUGIN_DB_PING_FAILED: cannot reach the database"
    assert str(error) == "PLUGIN_DB_PING_FAILED: cannot reach the database"
