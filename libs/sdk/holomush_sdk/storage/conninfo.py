"""Reading the DSN the host hands a plugin (``ServiceConfig.connection_string``).

The host writes ``postgresql://role:pw@host/db?search_path=plugin_x``, as the Go reference
does (pgx passes unknown URL parameters to the server as settings). libpq refuses unknown
URI parameters, so `libpq_conninfo` moves ``search_path`` into libpq's ``options``
(``-c search_path=plugin_x``): every session then resolves names in the plugin's schema.
"""

from __future__ import annotations

from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict

from holomush_sdk.storage.errors import StorageError, StorageErrorCode

__all__ = ["libpq_conninfo", "parse_schema_from_conn_string"]

_SEARCH_PATH = "search_path"


def parse_schema_from_conn_string(conn_string: str) -> str:
    """The ``search_path`` query parameter of a DSN URL: the plugin's schema."""
    for key, value in _query_pairs(_split(conn_string).query):
        if key == _SEARCH_PATH and value:
            return value
    raise StorageError(
        StorageErrorCode.MISSING_SEARCH_PATH, "connection string missing search_path parameter"
    )


def libpq_conninfo(conn_string: str) -> str:
    """``conn_string`` as libpq accepts it, with ``search_path`` turned into ``options``.

    A ``key=value`` connection string passes through unchanged. Raises `StorageError`
    (``PLUGIN_DB_CONNECT_FAILED``) when libpq cannot parse the result.
    """
    converted = conn_string
    if "://" in conn_string:
        parts = _split(conn_string)
        pairs = _query_pairs(parts.query)
        search_path = [value for key, value in pairs if key == _SEARCH_PATH]
        if search_path:
            kept = [(key, value) for key, value in pairs if key not in {_SEARCH_PATH, "options"}]
            options = [value for key, value in pairs if key == "options"]
            options.append("-c search_path=" + _escape_option(search_path[-1]))
            kept.append(("options", " ".join(options)))
            converted = urlunsplit(parts._replace(query=_join_query(kept)))
    try:
        conninfo_to_dict(converted)
    except psycopg.ProgrammingError as exc:
        raise StorageError(
            StorageErrorCode.DB_CONNECT_FAILED, f"invalid connection string: {exc}"
        ) from exc
    return converted


def _split(conn_string: str) -> SplitResult:
    try:
        return urlsplit(conn_string)
    except ValueError as exc:
        raise StorageError(
            StorageErrorCode.CONNSTRING_PARSE_FAILED, f"cannot parse connection string: {exc}"
        ) from exc


def _query_pairs(query: str) -> list[tuple[str, str]]:
    # Plain percent-decoding, as libpq does ("+" is not a space).
    pairs = []
    for item in query.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


def _join_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(key, safe='')}={quote(value, safe='/')}" for key, value in pairs)


def _escape_option(value: str) -> str:
    # libpq splits ``options`` on spaces; a backslash escapes the next character.
    return value.replace("\\", "\\\\").replace(" ", "\\ ")
