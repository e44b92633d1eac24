"""Everything that keeps a plugin from loading is reported, and never stops the host.

One plugins directory holds a plugin for every way of failing, plus one good plugin that
must load regardless. Only three of them ever start a process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import yaml

from holomush_host.data.host_data import HostData
from holomush_host.plugins.config import PluginManagerConfig
from holomush_host.plugins.manager import PluginManager
from holomush_host.plugins.report import LoadOutcome, LoadReport, PluginLoadStatus, PluginState
from holomush_host.plugins.tests.helpers import add_plugin, fixture_manifest

pytestmark = pytest.mark.asyncio(loop_scope="module")


def write_manifest(plugins_dir: Path, directory: str, text: str) -> None:
    (plugins_dir / directory).mkdir()
    (plugins_dir / directory / "plugin.yaml").write_text(text)


def build_plugins_dir(plugins_dir: Path) -> None:
    add_plugin(plugins_dir, fixture_manifest("survivor", commands=[{"name": "ok"}]))
    add_plugin(plugins_dir, fixture_manifest("twin"), directory="twin-1")
    add_plugin(plugins_dir, fixture_manifest("twin"), directory="twin-2")
    add_plugin(plugins_dir, fixture_manifest("prov-one", provides=["test.v1.Shared"]))
    add_plugin(plugins_dir, fixture_manifest("prov-two", provides=["test.v1.Shared"]))
    add_plugin(plugins_dir, fixture_manifest("uses-shared", requires=["test.v1.Shared"]))
    add_plugin(plugins_dir, fixture_manifest("needy", requires=["test.v1.Nothing"]))
    add_plugin(plugins_dir, fixture_manifest("bare-world", requires=["WorldService"]))
    add_plugin(plugins_dir, fixture_manifest("dependent", dependencies={"ghost": ">=1.0.0"}))
    add_plugin(
        plugins_dir, fixture_manifest("cyc-a", requires=["test.v1.B"], provides=["test.v1.A"])
    )
    add_plugin(
        plugins_dir, fixture_manifest("cyc-b", requires=["test.v1.A"], provides=["test.v1.B"])
    )
    add_plugin(plugins_dir, fixture_manifest("no-db", storage="postgres"))
    add_plugin(
        plugins_dir,
        fixture_manifest("gadgets", resource_types=["gadget"], provides=["test.v1.Gadgets"]),
    )
    add_plugin(plugins_dir, fixture_manifest("gadget-user", requires=["test.v1.Gadgets"]))
    add_plugin(
        plugins_dir,
        fixture_manifest(
            "bad-cap",
            commands=[
                {"name": "fly", "capabilities": [{"action": "use", "resource": "spaceship"}]}
            ],
        ),
    )
    dies = add_plugin(plugins_dir, fixture_manifest("dies"))
    (dies / "dies").write_text("#!/bin/sh\necho 'no handshake today' >&2\nexit 3\n")
    write_manifest(
        plugins_dir,
        "lua-echo",
        yaml.safe_dump(
            {
                "name": "lua-echo",
                "version": "1.0.0",
                "type": "lua",
                "events": ["say"],
                "lua-plugin": {"entry": "main.lua"},
            }
        ),
    )
    write_manifest(
        plugins_dir,
        "a-setting",
        yaml.safe_dump(
            {
                "name": "a-setting",
                "version": "1.0.0",
                "type": "setting",
                "setting": {"display_name": "S", "content_dir": "c", "starting_location": "l"},
            }
        ),
    )
    write_manifest(
        plugins_dir,
        "bad-name",
        "name: Bad_Name\nversion: 1.0.0\ntype: binary\nbinary-plugin: {executable: x}\n",
    )
    write_manifest(
        plugins_dir,
        "bad-version",
        "name: bad-version\nversion: v1\ntype: binary\nbinary-plugin: {executable: x}\n",
    )
    (plugins_dir / "not-a-plugin").mkdir()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def outcome(
    postgres_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[PluginManager, LoadReport]]:
    plugins_dir = tmp_path_factory.mktemp("plugins")
    build_plugins_dir(plugins_dir)
    data = await HostData.open(postgres_dsn, min_connections=1, max_connections=4)
    manager = PluginManager(PluginManagerConfig(plugins_dir, start_timeout=20), data)
    try:
        report = await manager.start()
        yield manager, report
    finally:
        await manager.stop()
        await data.close()


def status(outcome: tuple[PluginManager, LoadReport], name: str) -> PluginLoadStatus:
    found = outcome[1].status(name)
    assert found is not None, f"{name} missing from the report:\n{outcome[1]}"
    return found


def assert_failed(found: PluginLoadStatus, code: str, *fragments: str) -> None:
    assert (found.outcome, found.code) == (LoadOutcome.FAILED, code), str(found)
    for fragment in fragments:
        assert fragment in found.message, str(found)


async def test_the_good_plugin_loads_and_runs(outcome: tuple[PluginManager, LoadReport]) -> None:
    manager, report = outcome
    assert report.loaded == ("survivor",)
    [survivor] = manager.loaded()
    assert survivor.state is PluginState.RUNNING
    assert not report.ok


async def test_dependency_problems_have_codes_and_say_what_to_do(
    outcome: tuple[PluginManager, LoadReport],
) -> None:
    assert_failed(status(outcome, "twin"), "DUPLICATE_PLUGIN_NAME", "rename or remove")
    for provider in ("prov-one", "prov-two"):
        assert_failed(
            status(outcome, provider), "DUPLICATE_SERVICE_PROVIDER", "only one may provide it"
        )
    assert_failed(status(outcome, "uses-shared"), "UNSATISFIED_REQUIRES", "cannot be loaded")
    assert_failed(
        status(outcome, "needy"),
        "UNSATISFIED_REQUIRES",
        'plugin "needy" requires service "test.v1.Nothing" which is not provided by any '
        "plugin or server",
    )
    assert_failed(
        status(outcome, "bare-world"),
        "UNSATISFIED_REQUIRES",
        'did you mean "holomush.world.v1.WorldService"?',
    )
    assert_failed(
        status(outcome, "dependent"), "UNSATISFIED_DEPENDENCY", '"ghost", which was not discovered'
    )
    for member in ("cyc-a", "cyc-b"):
        assert_failed(status(outcome, member), "CIRCULAR_DEPENDENCY", "cyc-a -> cyc-b -> cyc-a")


async def test_lua_and_setting_plugins_are_reported_unsupported(
    outcome: tuple[PluginManager, LoadReport],
) -> None:
    for name, kind in (("lua-echo", "lua"), ("a-setting", "setting")):
        found = status(outcome, name)
        assert (found.outcome, found.code) == (LoadOutcome.UNSUPPORTED, "UNSUPPORTED_PLUGIN_TYPE")
        assert found.message.startswith(f"{kind} plugins are not supported by this host")


async def test_broken_manifests_are_reported_with_the_reference_messages(
    outcome: tuple[PluginManager, LoadReport],
) -> None:
    bad_name = status(outcome, "bad-name")
    assert bad_name.outcome is LoadOutcome.INVALID
    assert "name must start with a-z, contain only a-z, 0-9, single hyphens, and not end" in (
        bad_name.message
    )
    assert "version must be valid semver (e.g., 1.0.0)" in status(outcome, "bad-version").message
    skipped = status(outcome, "not-a-plugin")
    assert (skipped.outcome, skipped.message) == (
        LoadOutcome.SKIPPED,
        "skipping plugin without manifest",
    )


async def test_load_time_failures(outcome: tuple[PluginManager, LoadReport]) -> None:
    assert_failed(status(outcome, "no-db"), "PLUGIN_STORAGE_UNAVAILABLE", "storage: postgres")
    assert_failed(status(outcome, "dies"), "PLUGIN_START_FAILED", "did not start")
    assert_failed(
        status(outcome, "gadgets"),
        "PLUGIN_RESOURCE_TYPE_MISSING",
        'plugin declares resource_type "gadget" but GetSchema did not return it',
    )
    assert_failed(
        status(outcome, "gadget-user"),
        "PLUGIN_SERVICE_NOT_FOUND",
        'its provider "gadgets" did not load',
    )
    assert_failed(
        status(outcome, "bad-cap"), "INVALID_CAPABILITY", 'unknown resource type "spaceship"'
    )
