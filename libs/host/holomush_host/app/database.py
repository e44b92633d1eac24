"""Which PostgreSQL the host uses: the one named by ``--database-url``, or its own
embedded server with a persistent data directory (state survives restarts)."""

from __future__ import annotations

from dataclasses import dataclass

from holomush_host.app.config import EMBEDDED_DATABASE, HostConfig
from holomush_host.storage.embedded import EmbeddedPostgres, start_embedded_postgres


@dataclass
class Database:
    url: str
    #: Set when the host runs its own server (stopped by `close`).
    embedded: EmbeddedPostgres | None = None

    @property
    def description(self) -> str:
        if self.embedded is not None:
            return f"embedded PostgreSQL, data in {self.embedded.data_dir}"
        return "PostgreSQL at --database-url"

    async def close(self) -> None:
        if self.embedded is not None:
            embedded, self.embedded = self.embedded, None
            await embedded.aclose()


async def open_database(config: HostConfig) -> Database:
    """Raises EmbeddedPostgresError when the embedded server cannot start."""
    if config.database_url is not None:
        return Database(config.database_url)
    server = await start_embedded_postgres(config.embedded_postgres_dir, persistent=True)
    try:
        url = await server.ensure_database(EMBEDDED_DATABASE)
    except BaseException:
        await server.aclose()
        raise
    return Database(url, server)
