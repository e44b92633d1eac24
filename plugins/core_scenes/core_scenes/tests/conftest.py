"""Fixtures of the core-scenes tests.

PostgreSQL comes from ``holomush_testing`` (a fresh database per test module). The scene
store connects the way the plugin does in production: as the restricted role the host's
provisioner creates for ``core-scenes``, through a DSN whose search_path is the plugin's
schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from core_scenes.pg_store import PostgresSceneStore, open_scene_store
from holomush_host.storage.provisioner import SchemaProvisioner


async def _provision(admin_dsn: str) -> str:
    async with SchemaProvisioner(admin_dsn) as provisioner:
        storage = await provisioner.provision("core-scenes")
    return storage.dsn


@pytest.fixture(scope="module")
def plugin_dsn(postgres_dsn: str) -> str:
    """The DSN the host would hand core-scenes in ServiceConfig.connection_string."""
    return asyncio.run(_provision(postgres_dsn))


@pytest_asyncio.fixture
async def pg_store(plugin_dsn: str) -> AsyncIterator[PostgresSceneStore]:
    store = await open_scene_store(plugin_dsn)
    try:
        yield store
    finally:
        await store.close()
