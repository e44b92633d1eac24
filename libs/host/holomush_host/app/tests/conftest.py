"""Fixtures for the host app's tests: the whole host, started in-process, with real plugin
processes (echo-bot, core-scenes, a gadget plugin) and real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from holomush_host.app.config import HostConfig
from holomush_host.app.host import HostApp
from holomush_host.app.tests.helpers import add_core_scenes, add_echo_bot, add_gadgets


def pytest_configure(config: pytest.Config) -> None:
    # Until the repo-root conftest loads it; import_plugin is a no-op once it is loaded.
    config.pluginmanager.import_plugin("holomush_testing.pytest_plugin")


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plugins = tmp_path_factory.mktemp("plugins")
    add_echo_bot(plugins)
    add_core_scenes(plugins)
    add_gadgets(plugins)
    broken = plugins / "broken"  # must not keep the others from loading
    broken.mkdir()
    (broken / "plugin.yaml").write_text("name: Broken!\nversion: one\ntype: binary\n")
    return plugins


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def host(
    postgres_dsn: str, plugins_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[HostApp]:
    config = HostConfig(
        plugins_dir=plugins_dir,
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=postgres_dsn,
        telnet_host="127.0.0.1",
        telnet_port=0,
        grpc_port=0,
    )
    app = HostApp(config)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
