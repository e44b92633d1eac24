"""plugin.yaml (reference §5.1) as the host reads it, and the plugin object the SDK gets."""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

import yaml

from core_scenes.plugin import ScenePlugin
from core_scenes.resolver import SCENE_ATTRIBUTES
from holomush_host.manifest.parse import parse_manifest
from holomush_host.policy.installation import prepare_plugin_policies
from holomush_sdk import (
    AttributeResolverProvider,
    CommandHandler,
    EventSinkAware,
    FocusClientAware,
    Handler,
    ServiceProvider,
)

MANIFEST = Path(__file__).resolve().parents[2] / "plugin.yaml"


def test_the_host_accepts_the_manifest_and_its_policies() -> None:
    manifest = parse_manifest(MANIFEST)
    assert (manifest.name, manifest.version) == ("core-scenes", "1.0.0")
    assert str(manifest.storage.value) == "postgres"
    assert tuple(manifest.requires) == ("holomush.world.v1.WorldService",)
    assert tuple(manifest.provides) == ("holomush.scene.v1.SceneService",)
    assert tuple(manifest.emits) == ("scene",)
    assert tuple(manifest.resource_types) == ("scene",)
    plan = prepare_plugin_policies(manifest)
    assert len(plan.policies) == len(yaml.safe_load(MANIFEST.read_text())["policies"])
    assert plan.warnings == ()


def test_commands_and_executable() -> None:
    raw = yaml.safe_load(MANIFEST.read_text())
    assert raw["type"] == "binary"
    assert raw["binary-plugin"] == {"executable": "core-scenes"}
    scene, scenes = raw["commands"]
    assert (scene["name"], scene["help"], scene["usage"]) == (
        "scene",
        "Manage RP scenes",
        "scene <subcommand> [args]",
    )
    assert scene["capabilities"] == [{"action": "write", "resource": "scene", "scope": "local"}]
    assert (scenes["name"], scenes["help"], scenes["usage"]) == (
        "scenes",
        "Browse open scenes",
        "scenes [--tags tag1,tag2]",
    )
    assert "capabilities" not in scenes


def test_policies_use_only_attributes_the_resolver_provides() -> None:
    raw = yaml.safe_load(MANIFEST.read_text())
    names = {policy["name"] for policy in raw["policies"]}
    assert {
        "execute-scene-commands",
        "end-own-scene",
        "pause-own-scene",
        "update-own-scene",
        "read-scene-as-participant",
        "write-scene-as-participant",
        "resume-scene-as-participant",
        "join-open-scene",
        "join-private-scene-as-invitee",
        "leave-scene",
        "invite-to-scene",
        "kick-from-scene",
        "transfer-ownership",
    } <= names
    used = {
        match
        for policy in raw["policies"]
        for match in re.findall(r"resource\.scene\.([a-z_]+)", policy["dsl"])
    }
    assert used
    assert used <= set(SCENE_ATTRIBUTES)


def test_the_plugin_object_offers_every_sdk_interface() -> None:
    plugin = ScenePlugin()
    for interface in (
        Handler,
        CommandHandler,
        ServiceProvider,
        EventSinkAware,
        FocusClientAware,
        AttributeResolverProvider,
    ):
        assert isinstance(plugin, interface), interface


def test_every_migration_has_its_rollback() -> None:
    files = {
        entry.name
        for entry in importlib.resources.files("core_scenes.migrations").iterdir()
        if entry.name.endswith(".sql")
    }
    ups = {name.removesuffix(".up.sql") for name in files if name.endswith(".up.sql")}
    downs = {name.removesuffix(".down.sql") for name in files if name.endswith(".down.sql")}
    assert ups == downs
    assert sorted(ups)[:3] == [
        "000001_scenes",
        "000002_scene_state_check",
        "000003_scene_participants_and_ops_events",
    ]
