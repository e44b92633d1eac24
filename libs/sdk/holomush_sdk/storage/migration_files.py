"""Finding a plugin's ``NNNNNN_name.up.sql`` / ``.down.sql`` files and handing them to yoyo.

Files are read through `importlib.resources`, so a migrations directory inside a zipped PEX
(or any zip on ``sys.path``) works like one on disk. yoyo reads migrations from a real
directory and names rollbacks ``<id>.rollback.sql``, so `write_yoyo_directory` writes the
pair as ``NNNNNN_name.sql`` and ``NNNNNN_name.rollback.sql`` into a scratch directory.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import NoReturn

from holomush_sdk.storage.errors import StorageError, StorageErrorCode

__all__ = ["MigrationFile", "read_migration_files", "resolve_migrations", "write_yoyo_directory"]

_MIGRATION_NAME = re.compile(
    r"^(?P<version>[0-9]+)_(?P<label>[A-Za-z0-9_-]+)\.(?P<kind>up|down)\.sql$"
)
_MAX_VERSION = 2**31 - 1  # plugin_migrations.version is an INTEGER, as in the reference


@dataclass(frozen=True)
class MigrationFile:
    """One migration: its ``.up.sql`` and, when present, its ``.down.sql``."""

    version: int
    stem: str  # "000001_scenes", the id yoyo records
    up_sql: str
    down_sql: str | None

    @property
    def up_name(self) -> str:
        return f"{self.stem}.up.sql"

    @property
    def down_name(self) -> str:
        return f"{self.stem}.down.sql"


def resolve_migrations(migrations: str | Traversable) -> Traversable:
    """A package name (``"core_scenes.migrations"``) or a `Traversable` → the directory."""
    if not isinstance(migrations, str):
        return migrations
    try:
        return importlib.resources.files(migrations)
    except (ImportError, TypeError, ValueError) as exc:
        raise StorageError(
            StorageErrorCode.MIGRATION_READ_FAILED,
            f"cannot open migrations package {migrations!r}: {exc}",
        ) from exc


def read_migration_files(directory: Traversable) -> list[MigrationFile]:
    """Every migration in ``directory``, ordered by version.

    Only ``*.up.sql`` and ``*.down.sql`` files count; other entries are ignored. A badly
    named file, two files with one version, or a ``.down.sql`` without its ``.up.sql`` is
    an error (``PLUGIN_MIGRATION_READ_FAILED``) naming the file.
    """
    ups: dict[str, str] = {}
    downs: dict[str, str] = {}
    versions: dict[int, str] = {}
    for entry in _entries(directory):
        name = entry.name
        if not (name.endswith(".up.sql") or name.endswith(".down.sql")):
            continue
        match = _MIGRATION_NAME.fullmatch(name)
        if match is None:
            _fail(
                f"{name}: migration files must be named NNNNNN_name.up.sql or NNNNNN_name.down.sql"
            )
        stem = name.rsplit(".", 2)[0]
        version = int(match["version"])
        if version > _MAX_VERSION:
            _fail(f"{name}: version {version} is larger than {_MAX_VERSION}")
        text = _read(entry)
        if match["kind"] == "down":
            downs[stem] = text
            continue
        if version in versions:
            _fail(f"{name}: version {version} is also used by {versions[version]}.up.sql")
        versions[version] = stem
        ups[stem] = text
    for stem in downs.keys() - ups.keys():
        _fail(f"{stem}.down.sql has no matching {stem}.up.sql")
    return sorted(
        (
            MigrationFile(int(stem.split("_", 1)[0]), stem, ups[stem], downs.get(stem))
            for stem in ups
        ),
        key=lambda migration: migration.version,
    )


def write_yoyo_directory(migrations: list[MigrationFile], directory: Path) -> None:
    """Write ``migrations`` into ``directory`` under the names yoyo expects."""
    for migration in migrations:
        (directory / f"{migration.stem}.sql").write_text(migration.up_sql, encoding="utf-8")
        if migration.down_sql is not None:
            (directory / f"{migration.stem}.rollback.sql").write_text(
                migration.down_sql, encoding="utf-8"
            )


def _entries(directory: Traversable) -> list[Traversable]:
    try:
        if not directory.is_dir():
            _fail(f"migrations directory {directory} does not exist")
        return [entry for entry in directory.iterdir() if entry.is_file()]
    except OSError as exc:
        _fail(f"cannot list migrations directory {directory}: {exc}", exc)


def _read(entry: Traversable) -> str:
    try:
        return entry.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {entry.name}: {exc}", exc)


def _fail(message: str, cause: BaseException | None = None) -> NoReturn:
    raise StorageError(StorageErrorCode.MIGRATION_READ_FAILED, message) from cause
