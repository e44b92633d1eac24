"""Apply and roll back a plugin's SQL migrations with yoyo-migrations (reference §2.11).

How it behaves:

* ``NNNNNN_name.up.sql`` files are applied in version order, each at most once; every file
  not yet applied is applied (a late file with a lower number too, unlike the reference,
  which skipped it forever). ``.down.sql`` files are used only by `rollback_migrations`.
* Each migration runs in **one transaction together with its bookkeeping**: a failing
  statement rolls back the whole file, and the error (``PLUGIN_MIGRATION_EXEC_FAILED``)
  names the file. (yoyo alone commits the migration and then records it on another
  connection; `_PluginBackend` keeps both in one transaction. A file that opts out with
  ``-- transactional: false`` runs the way yoyo runs it.)
* Bookkeeping lives in the plugin's schema (the connection's ``search_path``): yoyo's own
  tables (``_yoyo_migration``, ``_yoyo_log``, ``_yoyo_version``, ``yoyo_lock``) plus a
  view ``plugin_migrations(version, name, applied_at)`` over ``_yoyo_migration`` with the
  reference's columns, so there is one source of truth and the reference's query works.
* Two processes migrating the same schema at once are serialised by a session-level
  PostgreSQL advisory lock keyed on the schema; the second one then finds nothing to do.

yoyo is synchronous; the work runs in a worker thread on its own connection.
"""

from __future__ import annotations

import asyncio
import inspect
import tempfile
from collections.abc import Callable
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool
from yoyo import read_migrations
from yoyo.backends import PostgresqlPsycopgBackend
from yoyo.connections import DatabaseURI
from yoyo.exceptions import BadMigration
from yoyo.migrations import MigrationList

from holomush_sdk.storage.conninfo import libpq_conninfo
from holomush_sdk.storage.errors import StorageError, StorageErrorCode
from holomush_sdk.storage.migration_files import (
    MigrationFile,
    read_migration_files,
    resolve_migrations,
    write_yoyo_directory,
)

__all__ = ["MIGRATIONS_VIEW", "rollback_migrations", "run_migrations"]

MIGRATIONS_VIEW = "plugin_migrations"
_YOYO_MIGRATION_TABLE = "_yoyo_migration"
_LOCK_PREFIX = "holomush.plugin_migrations:"
_LIBPQ_KEYWORDS = frozenset(
    option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults()
)


async def run_migrations(
    database: AsyncConnectionPool[Any] | str,
    migrations: str | Traversable,
    *,
    lock_timeout: float = 60.0,
) -> list[str]:
    """Apply every pending ``.up.sql`` migration; return the file names applied, in order.

    ``database`` is the plugin's pool (from `connect`) or its DSN. ``migrations`` is a
    package name (``"core_scenes.migrations"``) or a `Traversable` such as
    ``importlib.resources.files("core_scenes") / "migrations"``. Running it again is a no-op.
    """
    conninfo = await _conninfo_of(database)
    files = await asyncio.to_thread(_read, migrations)
    return await asyncio.to_thread(_migrate, conninfo, files, lock_timeout, _apply)


async def rollback_migrations(
    database: AsyncConnectionPool[Any] | str,
    migrations: str | Traversable,
    *,
    to_version: int = 0,
    lock_timeout: float = 60.0,
) -> list[str]:
    """Undo applied migrations newer than ``to_version`` with their ``.down.sql``, newest first.

    Returns the ``.down.sql`` file names run, in order. If one of those migrations has no
    ``.down.sql``, nothing is rolled back (``PLUGIN_MIGRATION_DOWN_MISSING``).
    """
    conninfo = await _conninfo_of(database)
    files = await asyncio.to_thread(_read, migrations)

    def rollback(backend: _PluginBackend, ordered: MigrationList) -> list[str]:
        return _rollback(backend, ordered, files, to_version)

    return await asyncio.to_thread(_migrate, conninfo, files, lock_timeout, rollback)


class _PluginBackend(PostgresqlPsycopgBackend):  # type: ignore[misc]
    """yoyo's psycopg backend, running each migration and its bookkeeping in one transaction."""

    def apply_one(self, migration: Any, force: bool = False, mark: bool = True) -> None:
        if not _transactional(migration):
            super().apply_one(migration, force=force, mark=mark)
            return

        def record() -> None:
            self.log_migration(migration, "apply")
            if mark:
                self.mark_one(migration, log=False)

        self._in_one_transaction(migration, "apply", f"{migration.id}.up.sql", record)

    def rollback_one(self, migration: Any, force: bool = False) -> None:
        if not _transactional(migration):
            super().rollback_one(migration, force=force)
            return

        def record() -> None:
            self.log_migration(migration, "rollback")
            self.unmark_one(migration, log=False)

        self._in_one_transaction(migration, "rollback", f"{migration.id}.down.sql", record)

    def _in_one_transaction(
        self, migration: Any, direction: str, file_name: str, record: Callable[[], None]
    ) -> None:
        self.ensure_internal_schema_updated()
        try:
            self.begin()
        except psycopg.Error as exc:
            raise StorageError(StorageErrorCode.MIGRATION_TX_FAILED, f"{file_name}: {exc}") from exc
        try:
            # Inside our transaction yoyo runs the file's statements under savepoints.
            migration.process_steps(self, direction)
        except psycopg.Error as exc:
            self._abandon()
            raise StorageError(
                StorageErrorCode.MIGRATION_EXEC_FAILED,
                f"migration {file_name} failed and was rolled back: {_describe(exc)}",
            ) from exc
        try:
            record()
        except psycopg.Error as exc:
            self._abandon()
            raise StorageError(
                StorageErrorCode.MIGRATION_TRACK_FAILED, f"cannot record {file_name}: {exc}"
            ) from exc
        try:
            self.commit()
        except psycopg.Error as exc:
            self._abandon()
            raise StorageError(
                StorageErrorCode.MIGRATION_COMMIT_FAILED,
                f"cannot commit {file_name}: {_describe(exc)}",
            ) from exc

    def _abandon(self) -> None:
        try:
            self.rollback()
        except psycopg.Error:
            self._in_transaction = False  # the connection is gone; it is closed afterwards


def _read(migrations: str | Traversable) -> list[MigrationFile]:
    return read_migration_files(resolve_migrations(migrations))


def _migrate(
    conninfo: str,
    files: list[MigrationFile],
    lock_timeout: float,
    work: Callable[[_PluginBackend, MigrationList], list[str]],
) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="holomush-migrations-") as scratch:
        write_yoyo_directory(files, Path(scratch))
        try:
            ordered = _in_version_order(read_migrations(scratch), files)
            for migration in ordered:
                migration.load()
        except BadMigration as exc:
            raise StorageError(StorageErrorCode.MIGRATION_READ_FAILED, str(exc)) from exc
        backend = _open_backend(conninfo)
        try:
            _lock_schema(backend, lock_timeout)
            _prepare_bookkeeping(backend)
            return work(backend, ordered)
        finally:
            # Closing the session also releases the advisory lock.
            backend.connection.close()


def _apply(backend: _PluginBackend, ordered: MigrationList) -> list[str]:
    try:
        pending = list(backend.to_apply(ordered))
    except psycopg.Error as exc:
        raise StorageError(
            StorageErrorCode.MIGRATION_VERSION_FAILED, f"cannot read applied migrations: {exc}"
        ) from exc
    for migration in pending:
        backend.apply_one(migration)
    return [f"{migration.id}.up.sql" for migration in pending]


def _rollback(
    backend: _PluginBackend, ordered: MigrationList, files: list[MigrationFile], to_version: int
) -> list[str]:
    by_stem = {migration.stem: migration for migration in files}
    try:
        applied = list(backend.to_rollback(ordered))
    except psycopg.Error as exc:
        raise StorageError(
            StorageErrorCode.MIGRATION_VERSION_FAILED, f"cannot read applied migrations: {exc}"
        ) from exc
    undo = [migration for migration in applied if by_stem[migration.id].version > to_version]
    missing = [by_stem[m.id].down_name for m in undo if by_stem[m.id].down_sql is None]
    if missing:
        raise StorageError(
            StorageErrorCode.MIGRATION_DOWN_MISSING,
            f"cannot roll back to version {to_version}: missing {', '.join(missing)}",
        )
    for migration in undo:
        backend.rollback_one(migration)
    return [by_stem[migration.id].down_name for migration in undo]


def _open_backend(conninfo: str) -> _PluginBackend:
    params = conninfo_to_dict(conninfo)
    database = params.pop("dbname", None)
    uri = DatabaseURI(
        scheme="postgresql+psycopg",
        username=None,
        password=None,
        hostname=None,
        port=None,
        database=None if database is None else str(database),
        args={key: str(value) for key, value in params.items()},
    )
    try:
        return _PluginBackend(uri, _YOYO_MIGRATION_TABLE)
    except psycopg.Error as exc:
        raise StorageError(
            StorageErrorCode.DB_CONNECT_FAILED, f"cannot connect to run migrations: {exc}"
        ) from exc


def _lock_schema(backend: _PluginBackend, lock_timeout: float) -> None:
    conn = backend.connection
    row = conn.execute("SELECT current_schema()").fetchone()
    schema = row[0] if row else None
    if schema is None:
        raise StorageError(
            StorageErrorCode.MIGRATION_TABLE_FAILED,
            "the connection's search_path names no existing schema to migrate",
        )
    try:
        conn.execute(
            "SELECT set_config('lock_timeout', %s, false)", (f"{round(lock_timeout * 1000)}ms",)
        )
        conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (_LOCK_PREFIX + schema,))
        conn.execute("RESET lock_timeout")
    except psycopg.errors.LockNotAvailable as exc:
        raise StorageError(
            StorageErrorCode.MIGRATION_LOCK_FAILED,
            f"another process kept migrating schema {schema!r} for more than {lock_timeout:g} s",
        ) from exc
    except psycopg.Error as exc:
        raise StorageError(
            StorageErrorCode.MIGRATION_LOCK_FAILED, f"cannot lock schema {schema!r}: {exc}"
        ) from exc


def _prepare_bookkeeping(backend: _PluginBackend) -> None:
    try:
        backend.init_database()
        backend.ensure_internal_schema_updated()
        backend.connection.execute(
            f"""
            CREATE OR REPLACE VIEW {MIGRATIONS_VIEW} AS
            SELECT substring(migration_id FROM '^[0-9]+')::integer AS version,
                   migration_id || '.up.sql' AS name,
                   applied_at_utc AT TIME ZONE 'UTC' AS applied_at
            FROM {_YOYO_MIGRATION_TABLE}
            WHERE migration_id ~ '^[0-9]+_'
            """
        )
    except psycopg.Error as exc:
        raise StorageError(
            StorageErrorCode.MIGRATION_TABLE_FAILED, f"cannot create the migration tables: {exc}"
        ) from exc


def _in_version_order(migrations: MigrationList, files: list[MigrationFile]) -> MigrationList:
    # yoyo sorts by file name; versions need not share one width ("2_x" < "10_y").
    position = {migration.stem: index for index, migration in enumerate(files)}
    return migrations.replace(sorted(migrations, key=lambda migration: position[migration.id]))


def _transactional(migration: Any) -> bool:
    migration.load()
    return bool(migration.use_transactions)


async def _conninfo_of(database: AsyncConnectionPool[Any] | str) -> str:
    if isinstance(database, str):
        return libpq_conninfo(database)
    # A pool's conninfo and kwargs may be static or (async) callables.
    conninfo = await _resolved(database.conninfo)
    kwargs = await _resolved(database.kwargs) or {}
    extra = {key: value for key, value in kwargs.items() if key in _LIBPQ_KEYWORDS}
    return make_conninfo(str(conninfo or ""), **extra)


async def _resolved(value: Any) -> Any:
    if callable(value):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


def _describe(exc: psycopg.Error) -> str:
    diag = exc.diag
    text = diag.message_primary or str(exc).strip()
    if diag.message_detail:
        text += f" ({diag.message_detail})"
    if diag.sqlstate:
        text += f" [SQLSTATE {diag.sqlstate}]"
    return text
