"""A host restart: close everything, open the same schema again, and find the state there."""

from __future__ import annotations

import asyncio

import pytest

from holomush_host.data.connection import connect_host, host_conninfo
from holomush_host.data.errors import StoreUnavailableError
from holomush_host.data.host_data import HostData
from holomush_host.data.migrate import migrations_directory, run_host_migrations
from holomush_host.data.sessions import SessionStatus
from holomush_sdk.focus import FocusKey, FocusKind

from .helpers import ALICE, take

SCENE = FocusKey(FocusKind.SCENE, "scene-01J0Z3V6Q2Y8K7M4N5P6R7S8DD")


async def test_state_survives_a_restart(postgres_dsn: str, schema: str) -> None:
    first = await HostData.open(postgres_dsn, schema=schema, min_connections=1)
    try:
        nexus = first.default_location
        guest = await first.world.create_guest_character()
        session = await first.sessions.create_session(guest.id)
        await first.focus.join_focus(session.id, SCENE)
        await first.focus.present_focus(session.id, SCENE)
        await first.session_streams.add_session_stream(session.id, "weather:global")
        await first.kv.for_plugin("core-scenes").set("counter", "41")
        said = await first.events.append(f"location:{guest.location_id}", "say", ALICE, "{}")
        await first.sessions.save_cursors(session.id, {f"location:{guest.location_id}": said.id})
        before = await first.sessions.get_session(session.id)
    finally:
        await first.close()

    second = await HostData.open(postgres_dsn, schema=schema, min_connections=1)
    try:
        assert second.default_location == nexus
        assert await second.world.get_character(guest.id) == guest
        assert await second.sessions.get_session(session.id) == before
        assert await second.kv.for_plugin("core-scenes").get("counter") == "41"
        assert await second.events.replay(f"location:{guest.location_id}") == [said]

        # The new process detaches what no connection holds any more, then resumes it.
        assert await second.sessions.detach_all_active() == [session.id]
        resumed = await second.sessions.reattach(session.id)
        assert resumed.status is SessionStatus.ACTIVE
        plan = await second.focus.restore_plan(session.id)
        assert plan.presenting_stream == f"scene:{SCENE.target_id}:ic"
        assert "weather:global" in plan.streams
        async with second.events.subscribe(plan.streams) as live:
            new = await second.events.append(f"location:{guest.location_id}", "say", ALICE)
            assert await take(live, 1) == [new]  # the old "say" is behind the cursor
        # Ids stay in order across the restart.
        assert new.id > said.id
    finally:
        await second.close()


async def test_migrations_run_once_even_when_started_together(
    postgres_dsn: str, schema: str
) -> None:
    conninfo = host_conninfo(postgres_dsn, schema)

    results = await asyncio.gather(*(run_host_migrations(conninfo, schema) for _ in range(3)))
    names = sorted(
        entry.name for entry in migrations_directory().iterdir() if entry.name.endswith(".up.sql")
    )
    assert len(names) == 5
    assert sorted(results, key=len) == [[], [], names]
    assert await run_host_migrations(conninfo, schema) == []
    conn = await connect_host(conninfo)
    async with conn:
        cursor = await conn.execute("SELECT name FROM plugin_migrations ORDER BY version")
        assert [row[0] for row in await cursor.fetchall()] == names


async def test_unreachable_database(postgres_dsn: str) -> None:
    conninfo = host_conninfo(postgres_dsn, "holomush") + " dbname=no_such_database"
    with pytest.raises(StoreUnavailableError, match="cannot reach"):
        await HostData.open(conninfo)
    with pytest.raises(StoreUnavailableError, match="cannot reach"):
        await run_host_migrations(conninfo, "holomush")
