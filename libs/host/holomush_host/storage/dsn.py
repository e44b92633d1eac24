"""Strict helpers for editing libpq connection URLs (``postgresql://user:pw@host/db?k=v``).

libpq decodes URI components with plain percent-decoding: a ``+`` stays a ``+``. The
standard library's ``parse_qsl``/``urlencode`` defaults treat ``+`` as a space, so this
module splits and joins query strings itself to keep values exactly as libpq reads them.
Error messages never repeat the URL, because it may carry a password.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

__all__ = [
    "NotAPostgresUrlError",
    "database_of",
    "parse_postgres_url",
    "query_params",
    "with_credentials",
    "with_database",
    "with_query_params",
]

_SCHEMES = frozenset({"postgres", "postgresql"})


class NotAPostgresUrlError(ValueError):
    """The text is not a ``postgres://`` or ``postgresql://`` URL."""


def parse_postgres_url(url: str) -> SplitResult:
    """Split ``url``, insisting on a PostgreSQL URL scheme."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise NotAPostgresUrlError(f"not a valid URL: {exc}") from exc
    if parts.scheme.lower() not in _SCHEMES:
        shown = f"{parts.scheme}://" if parts.scheme else "key=value text"
        raise NotAPostgresUrlError(
            f"expected a postgresql://user:password@host:port/database URL, got {shown}"
        )
    return parts


def query_params(url: str) -> list[tuple[str, str]]:
    """The query parameters of ``url`` in order, percent-decoded the way libpq does."""
    return _split_query(parse_postgres_url(url).query)


def database_of(url: str) -> str:
    """The database named in the URL path ('' when the URL names none)."""
    return unquote(parse_postgres_url(url).path.lstrip("/"))


def with_database(url: str, database: str) -> str:
    """``url`` pointing at ``database`` instead (a ``dbname`` query parameter is dropped)."""
    parts = parse_postgres_url(url)
    query = [(key, value) for key, value in _split_query(parts.query) if key != "dbname"]
    return urlunsplit(parts._replace(path="/" + quote(database, safe=""), query=_join_query(query)))


def with_credentials(url: str, user: str, password: str | None) -> str:
    """``url`` logging in as ``user`` (with ``password`` when given), same server and database.

    Credentials in the query string (``user``, ``password``, ``passfile``) are dropped,
    since libpq would let them override the ones in the authority part.
    """
    parts = parse_postgres_url(url)
    host_part = parts.netloc.rpartition("@")[2]
    userinfo = quote(user, safe="")
    if password is not None:
        userinfo += ":" + quote(password, safe="")
    query = [
        (key, value)
        for key, value in _split_query(parts.query)
        if key not in {"user", "password", "passfile"}
    ]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host_part}", query=_join_query(query)))


def with_query_params(
    url: str, *, drop: Collection[str] = (), add: Mapping[str, str] | None = None
) -> str:
    """``url`` without the query parameters named in ``drop`` (or in ``add``), then ``add``."""
    parts = parse_postgres_url(url)
    added = dict(add or {})
    removed = set(drop) | set(added)
    query = [(key, value) for key, value in _split_query(parts.query) if key not in removed]
    query.extend(added.items())
    return urlunsplit(parts._replace(query=_join_query(query)))


def _split_query(query: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return pairs


def _join_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(key, safe='')}={quote(value, safe='/')}" for key, value in pairs)
