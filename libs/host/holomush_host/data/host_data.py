"""`HostData`: the host's data layer, opened once at start-up.

``open`` brings the host schema up to date (migrations), opens the connection pool,
starts the event store's writer and listener, and seeds the default location::

    async with await HostData.open(database_url) as data:
        guest = await data.world.create_guest_character()
        session = await data.sessions.create_session(guest.id)
        plan = await data.focus.restore_plan(session.id)
        async with data.events.subscribe(plan.streams) as events:
            data.stream_registry.register(session.id, events)
            ...
"""

from __future__ import annotations

from types import TracebackType

from holomush_host.data.connection import (
    DEFAULT_SCHEMA,
    HostPool,
    host_conninfo,
    open_host_pool,
)
from holomush_host.data.event_store import EventStore
from holomush_host.data.focus import FocusCoordinator, FocusKindPolicy, ScenePolicy
from holomush_host.data.kv import PluginKVStore
from holomush_host.data.migrate import run_host_migrations
from holomush_host.data.session_streams import SessionStreams
from holomush_host.data.sessions import SessionStore
from holomush_host.data.stream_registry import SessionStreamRegistry
from holomush_host.data.world import LocationInfo, WorldStore

__all__ = ["HostData"]


class HostData:
    def __init__(
        self,
        pool: HostPool,
        conninfo: str,
        *,
        schema: str,
        policies: dict[str, FocusKindPolicy] | None = None,
        synchronous_commit: bool = True,
    ) -> None:
        self.schema = schema
        self.pool = pool
        self.events = EventStore(
            pool, conninfo, schema=schema, synchronous_commit=synchronous_commit
        )
        self.world = WorldStore(pool)
        self.sessions = SessionStore(pool)
        self.stream_registry = SessionStreamRegistry()
        self.focus = FocusCoordinator(
            pool,
            sender=self.stream_registry,
            policies=policies if policies is not None else {"scene": ScenePolicy()},
        )
        self.session_streams = SessionStreams(pool, self.focus, self.stream_registry)
        self.kv = PluginKVStore(pool)
        self.default_location: LocationInfo | None = None

    @classmethod
    async def open(
        cls,
        database_url: str,
        *,
        schema: str = DEFAULT_SCHEMA,
        policies: dict[str, FocusKindPolicy] | None = None,
        min_connections: int = 2,
        max_connections: int = 10,
        synchronous_commit: bool = True,
    ) -> HostData:
        """Migrate ``schema`` on the database at ``database_url`` and start everything.

        ``synchronous_commit=False`` relaxes the durability of event appends only (see
        `EventStore`); everything else always commits synchronously.

        Raises `StoreUnavailableError` when the database cannot be reached and
        `InvalidInputError` for a malformed URL or schema name.
        """
        conninfo = host_conninfo(database_url, schema)
        await run_host_migrations(conninfo, schema)
        pool = await open_host_pool(conninfo, min_size=min_connections, max_size=max_connections)
        data = cls(
            pool,
            conninfo,
            schema=schema,
            policies=policies,
            synchronous_commit=synchronous_commit,
        )
        try:
            await data.events.start()
            data.default_location = await data.world.ensure_default_location()
        except BaseException:
            await data.close()
            raise
        return data

    async def close(self) -> None:
        """Finish pending appends, end subscriptions, close every connection."""
        try:
            await self.events.close()
        finally:
            await self.pool.close()

    async def __aenter__(self) -> HostData:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
