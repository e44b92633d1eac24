"""Fixtures for the plugin manager's tests: real PostgreSQL, real plugin processes.

`system` (shared by the modules of this package) is a host with four plugins loaded from
a plugins directory, the way production loads them:

* ``zeta`` provides SceneService, requires WorldService, has a Postgres schema, owns the
  ``widget`` resource type, listens to ``fx_*`` events;
* ``alpha`` requires zeta's SceneService (so it loads after zeta although its name sorts
  first) and WorldService, has a schema, listens to ``fx_ping``/``fx_mark``;
* ``plain`` declares nothing but a command and ``emits: [fx]``;
* ``echo-bot``, the real one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest
import pytest_asyncio

from holomush_host.data.focus import ScenePolicy
from holomush_host.data.host_data import HostData
from holomush_host.data.sessions import SessionInfo
from holomush_host.data.world import CharacterInfo
from holomush_host.plugins.config import DeliverySettings, PluginManagerConfig
from holomush_host.plugins.manager import PluginManager
from holomush_host.plugins.report import LoadReport
from holomush_host.plugins.tests.helpers import (
    ECHO_BOT_MODULE,
    add_plugin,
    command,
    echo_bot_manifest,
    fixture_manifest,
)
from holomush_host.services.public_server import PublicGrpcServer
from holomush_sdk.commands import CommandRequest, CommandResponse
from holomush_testing.postgres import PostgresTestServer, fresh_database

SCENES = "holomush.scene.v1.SceneService"
WORLD = "holomush.world.v1.WorldService"
PRIVATE_SCENE = "scene-private"
FX_EVENTS = ["fx_ping", "fx_self", "fx_mark", "fx_slow", "fx_fail", "fx_crash_once"]
WIDGET_POLICY = (
    'permit(principal is character, action in ["read"], resource is widget) '
    "when { resource.widget.owner == principal.id };"
)


@dataclass
class System:
    manager: PluginManager
    data: HostData
    report: LoadReport
    public: PublicGrpcServer
    alice: CharacterInfo
    session: SessionInfo

    def request(self, verb: str, *, name: str = "fx") -> CommandRequest:
        return command(
            verb,
            name=name,
            character_id=self.alice.id,
            location_id=self.alice.location_id,
            session_id=self.session.id,
            player_id=self.alice.player_id,
        )

    async def run(self, plugin: str, verb: str, **overrides: str) -> CommandResponse:
        request = replace(self.request(verb), **overrides)
        return await self.manager.handle_command(plugin, request)


async def _refuse_private(_session: SessionInfo, target_id: str) -> bool:
    return target_id != PRIVATE_SCENE


@pytest_asyncio.fixture(loop_scope="package", scope="package")
async def system(
    postgres_server: PostgresTestServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    plugins_dir = tmp_path_factory.mktemp("plugins")
    add_plugin(
        plugins_dir,
        fixture_manifest(
            "zeta",
            provides=[SCENES],
            requires=[WORLD],
            storage="postgres",
            resource_types=["widget"],
            events=FX_EVENTS,
            emits=["fx"],
            commands=[{"name": "fx", "aliases": ["zz"]}],
            policies=[{"name": "read-own-widget", "dsl": WIDGET_POLICY}],
        ),
    )
    add_plugin(
        plugins_dir,
        fixture_manifest(
            "alpha",
            requires=[SCENES, WORLD],
            storage="postgres",
            events=["fx_ping", "fx_mark"],
            emits=["fx"],
            commands=[{"name": "fxa"}],
        ),
    )
    add_plugin(plugins_dir, fixture_manifest("plain", emits=["fx"], commands=[{"name": "fxp"}]))
    add_plugin(plugins_dir, echo_bot_manifest(), module=ECHO_BOT_MODULE, args=[])
    with fresh_database(postgres_server, "plugin_system") as dsn:
        data = await HostData.open(
            dsn,
            policies={"scene": ScenePolicy(allow_join=_refuse_private)},
            min_connections=1,
            max_connections=8,
        )
        config = PluginManagerConfig(
            plugins_dir, database_url=dsn, delivery=DeliverySettings(call_timeout=3.0)
        )
        manager = PluginManager(config, data)
        try:
            report = await manager.start()
            public = manager.public_server()
            await public.start()
            alice = await data.world.create_guest_character()
            session = await data.sessions.create_session(alice.id)
            yield System(manager, data, report, public, alice, session)
            await public.stop()
        finally:
            await manager.stop()
            await data.close()
