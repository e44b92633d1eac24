"""Plugin storage SDK: a PostgreSQL pool bound to the plugin's schema, and SQL migrations.

Typical use in a plugin's ``init``::

    pool = await storage.connect(config.connection_string)
    try:
        await storage.run_migrations(pool, "core_scenes.migrations")
    except storage.StorageError:
        await pool.close()
        raise
"""

from holomush_sdk.storage.conninfo import libpq_conninfo, parse_schema_from_conn_string
from holomush_sdk.storage.errors import StorageError, StorageErrorCode
from holomush_sdk.storage.migrations import MIGRATIONS_VIEW, rollback_migrations, run_migrations
from holomush_sdk.storage.pool import PluginPool, connect

__all__ = [
    "MIGRATIONS_VIEW",
    "PluginPool",
    "StorageError",
    "StorageErrorCode",
    "connect",
    "libpq_conninfo",
    "parse_schema_from_conn_string",
    "rollback_migrations",
    "run_migrations",
]
