"""Loading real plugins: order, Init contents, provisioning, schema, command owners."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from holomush_host.plugins.errors import (
    PluginUnavailableError,
    ResourceNotFoundError,
    UnknownResourceTypeError,
)
from holomush_host.plugins.report import LoadOutcome, PluginState
from holomush_host.plugins.tests.conftest import SCENES, WORLD, System
from holomush_host.policy import (
    AccessRequest,
    AttributeSource,
    PolicyEngine,
    PolicySet,
    install_plugin_policies,
)
from holomush_sdk import PLUGIN_HOST_SERVICE_NAME

pytestmark = pytest.mark.asyncio(loop_scope="package")


async def test_every_plugin_loads_in_dependency_order(system: System) -> None:
    assert system.report.ok, str(system.report)
    # alpha needs zeta's SceneService: it loads after zeta though its name sorts first.
    assert system.report.loaded == ("echo-bot", "plain", "zeta", "alpha")
    loaded = {plugin.name: plugin for plugin in system.manager.loaded()}
    assert [plugin.name for plugin in system.manager.loaded()] == list(system.report.loaded)
    assert all(plugin.state is PluginState.RUNNING for plugin in loaded.values())
    assert all(plugin.pid for plugin in loaded.values())
    assert loaded["zeta"].services == (SCENES,)
    assert loaded["zeta"].version == "1.0.0"
    assert system.report.status("zeta").outcome is LoadOutcome.LOADED  # type: ignore[union-attr]


async def test_init_is_always_sent_with_the_broker_ids(system: System) -> None:
    zeta = json.loads((await system.run("zeta", "init")).output)
    assert zeta["required_services"] == {PLUGIN_HOST_SERVICE_NAME: "broker:1", WORLD: "broker:2"}
    alpha = json.loads((await system.run("alpha", "init")).output)
    assert alpha["required_services"] == {
        PLUGIN_HOST_SERVICE_NAME: "broker:1",
        SCENES: "broker:2",
        WORLD: "broker:3",
    }
    # No requires, provides or storage: the reference skipped Init; this host does not.
    plain = json.loads((await system.run("plain", "init")).output)
    assert plain == {
        "connection_string": "",
        "required_services": {PLUGIN_HOST_SERVICE_NAME: "broker:1"},
    }


async def test_postgres_plugins_get_their_own_schema_and_role(system: System) -> None:
    dsn = json.loads((await system.run("zeta", "init")).output)["connection_string"]
    parts = urlsplit(dsn)
    assert unquote(parts.username or "") == "holomush_plugin_zeta"
    assert parse_qs(parts.query)["search_path"] == ["plugin_zeta"]

    alpha = json.loads((await system.run("alpha", "db")).output)
    assert alpha["user"] == "holomush_plugin_alpha"
    assert alpha["schema"] == "plugin_alpha"
    zeta = json.loads((await system.run("zeta", "db plugin_alpha.mine holomush.events")).output)
    assert zeta["user"] == "holomush_plugin_zeta"
    assert zeta["schema"] == "plugin_zeta"
    assert zeta["own_table"] == "ok"
    denied = "denied: 42501"  # insufficient_privilege
    assert zeta["public"] == denied
    assert zeta["plugin_alpha.mine"] == denied
    assert zeta["holomush.events"] == denied


async def test_command_owner_by_name_or_alias(system: System) -> None:
    assert system.manager.command_owner("fx") == "zeta"
    assert system.manager.command_owner("ZZ") == "zeta"
    assert system.manager.command_owner("fxa") == "alpha"
    assert system.manager.command_owner("nope") is None


async def test_unknown_plugin_is_unavailable(system: System) -> None:
    with pytest.raises(PluginUnavailableError, match="ghost is not available"):
        await system.manager.handle_command("ghost", system.request("init"))


async def test_resource_attributes_come_from_the_owning_plugin(system: System) -> None:
    zeta = system.manager.plugin("zeta")
    assert zeta is not None
    assert set(zeta.attribute_schema["widget"]) == {"owner", "colour", "tags", "size"}
    attributes = await system.manager.resolve_attributes("widget", "w1")
    assert attributes == {"owner": "char-1", "colour": "blue", "tags": ("a", "b"), "size": 3.5}
    with pytest.raises(ResourceNotFoundError):
        await system.manager.resolve_attributes("widget", "missing")
    with pytest.raises(UnknownResourceTypeError):
        await system.manager.resolve_attributes("gizmo", "g1")


async def test_plugin_policies_evaluate_against_plugin_attributes(system: System) -> None:
    zeta = system.manager.plugin("zeta")
    assert zeta is not None
    assert zeta.policies is not None
    policies = PolicySet()
    install_plugin_policies(policies, zeta.policies)
    source = AttributeSource(system.manager.attribute_providers())
    engine = PolicyEngine(policies)
    owner = await engine.evaluate(AccessRequest("character:char-1", "read", "widget:w1"), source)
    other = await engine.evaluate(AccessRequest("character:char-2", "read", "widget:w1"), source)
    missing = await engine.evaluate(
        AccessRequest("character:char-1", "read", "widget:missing"), source
    )
    assert owner.allowed
    assert not other.allowed
    assert not missing.allowed
