"""core-scenes' store through a PostgreSQL restart: a clear store error while the server is
down, and the same store (same pool, same process) working again once it is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from core_scenes.errors import SceneError, SceneErrorCode
from core_scenes.ids import new_scene_id
from core_scenes.model import NewScene
from core_scenes.pg_store import PostgresSceneStore, open_scene_store
from holomush_host.storage.provisioner import SchemaProvisioner
from holomush_testing.restartable_postgres import RestartablePostgres

RECOVERY_TIMEOUT = 30.0


@pytest_asyncio.fixture
async def store(restartable_postgres_dsn: str) -> AsyncIterator[PostgresSceneStore]:
    # As in production: the plugin's restricted role, the DSN the host hands it.
    async with SchemaProvisioner(restartable_postgres_dsn) as provisioner:
        plugin = await provisioner.provision("core-scenes")
    scenes = await open_scene_store(plugin.dsn)
    try:
        yield scenes
    finally:
        await scenes.close()


async def test_the_store_works_again_after_a_restart(
    restartable_postgres: RestartablePostgres, store: PostgresSceneStore
) -> None:
    before = await store.create_with_owner(
        NewScene(id=new_scene_id(), title="Before", owner_id="char-alice", owner_name="Alice")
    )

    await restartable_postgres.astop("fast")
    with pytest.raises(SceneError) as caught:
        await store.get(before.id)
    assert caught.value.code is SceneErrorCode.STORE_FAILED
    assert caught.value.message.startswith("failed to get scene: ")

    await restartable_postgres.astart()
    # The connection the restart closed is replaced as it is handed out: the very first
    # operation afterwards succeeds.
    async with asyncio.timeout(RECOVERY_TIMEOUT):
        assert (await store.get(before.id)).title == "Before"
        after = await store.create_with_owner(
            NewScene(id=new_scene_id(), title="After", owner_id="char-bob", owner_name="Bob")
        )
    assert (await store.get(after.id)).owner_id == "char-bob"
