"""The registry: built from manifests, case rules, aliases, conflicts, resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from holomush_host.commands import (
    UNKNOWN_COMMAND_MESSAGE,
    CommandConflictError,
    CommandError,
    CommandErrorCode,
    CommandRegistry,
    CommandSource,
    build_command_registry,
)
from holomush_host.manifest import CapabilityScope, parse_manifest
from holomush_host.manifest.tests.helpers import (
    CORE_SCENES_MANIFEST,
    ECHO_BOT_MANIFEST,
    dump,
    minimal,
)


def host_registry() -> CommandRegistry:
    registry = CommandRegistry()
    registry.register_builtin("say", help="Say something", usage="say <message>")
    registry.register_builtin("look", help="Look around", aliases=["l"])
    registry.register_builtin("help")
    return registry


def test_core_scenes_commands_register_with_owner_help_and_capabilities():
    registry = host_registry()
    entries = registry.register_plugin(parse_manifest(CORE_SCENES_MANIFEST))
    assert [e.name for e in entries] == ["scene", "scenes"]
    scene = registry.get("scene")
    assert scene is not None
    assert scene.source is CommandSource.PLUGIN
    assert scene.plugin_name == "core-scenes"
    assert scene.help == "Manage RP scenes"
    assert scene.usage == "scene <subcommand> [args]"
    assert scene.capabilities[0].scope is CapabilityScope.LOCAL
    assert [e.name for e in registry.entries()] == ["help", "look", "say", "scene", "scenes"]


def test_echo_bot_has_no_commands():
    registry = host_registry()
    assert registry.register_plugin(parse_manifest(ECHO_BOT_MANIFEST)) == ()


@pytest.mark.parametrize(
    ("line", "command", "args", "invoked_as"),
    [
        ("scene join 01ABC", "scene", "join 01ABC", "scene"),
        ("SCENE join X", "scene", "join X", "scene"),
        ("Scenes --tags a,b", "scenes", "--tags a,b", "scenes"),
        ("l", "look", "", "l"),
        ("L north", "look", "north", "l"),
        ("  say   hi  there ", "say", "hi  there", "say"),
    ],
)
def test_resolve_finds_commands_and_aliases_case_insensitively(line, command, args, invoked_as):
    registry = host_registry()
    registry.register_plugin(parse_manifest(CORE_SCENES_MANIFEST))
    resolved = registry.resolve(line)
    assert (resolved.entry.name, resolved.args, resolved.invoked_as) == (command, args, invoked_as)


def test_unknown_command_gives_the_reference_text():
    with pytest.raises(CommandError) as caught:
        host_registry().resolve("dance wildly")
    assert caught.value.code is CommandErrorCode.UNKNOWN_COMMAND
    assert caught.value.player_message == UNKNOWN_COMMAND_MESSAGE == "Unknown command. Try 'help'."
    assert caught.value.user_facing


def test_get_ignores_aliases():
    registry = host_registry()
    assert registry.get("l") is None
    assert registry.lookup("l") is registry.get("look")


def test_plugin_conflicting_with_a_builtin_is_refused_whole():
    registry = host_registry()
    manifest = parse_manifest(
        dump(minimal(name="chatty", commands=[{"name": "shout"}, {"name": "Say"}]))
    )
    with pytest.raises(CommandConflictError) as caught:
        registry.register_plugin(manifest)
    (conflict,) = caught.value.conflicts
    assert (
        str(conflict) == 'command "Say" of plugin "chatty" conflicts with command "say" of the host'
    )
    assert registry.lookup("shout") is None  # nothing of the plugin was registered


def test_alias_conflicts_name_both_plugins():
    registry = host_registry()
    registry.register_plugin(parse_manifest(CORE_SCENES_MANIFEST))
    other = parse_manifest(
        dump(
            minimal(
                name="other",
                commands=[
                    {"name": "stage", "aliases": ["scenes"]},
                    {"name": "lk", "aliases": ["L"]},
                ],
            )
        )
    )
    with pytest.raises(CommandConflictError) as caught:
        registry.register_plugin(other)
    assert [str(c) for c in caught.value.conflicts] == [
        'alias "scenes" of plugin "other" conflicts with command "scenes" of plugin "core-scenes"',
        'alias "L" of plugin "other" conflicts with alias "l" of the host',
    ]


def test_unregister_frees_the_words():
    registry = host_registry()
    registry.register_plugin(parse_manifest(CORE_SCENES_MANIFEST))
    with pytest.raises(ValueError, match="already has commands registered"):
        registry.register_plugin(parse_manifest(CORE_SCENES_MANIFEST))
    registry.unregister_plugin("core-scenes")
    assert registry.lookup("scene") is None
    registry.register_plugin(parse_manifest(CORE_SCENES_MANIFEST))
    assert registry.lookup("scene") is not None


def test_builtin_names_follow_the_command_name_rules():
    with pytest.raises(ValueError, match="command name must start with a letter"):
        CommandRegistry().register_builtin("@bad")


def test_build_registry_leaves_out_conflicting_plugins(tmp_path: Path):
    first = parse_manifest(CORE_SCENES_MANIFEST)
    second = parse_manifest(
        dump(minimal(name="copycat", commands=[{"name": "scene"}, {"name": "mimic"}]))
    )
    help_file = tmp_path / "mimic.txt"
    third = parse_manifest(
        dump(minimal(name="helpful", commands=[{"name": "mimic", "helpFile": "mimic.txt"}]))
    )
    registry, failures = build_command_registry(
        [(first, {}), (second, {}), (third, {"mimic": help_file})]
    )
    assert [str(f) for f in failures] == [
        'command "scene" of plugin "copycat" conflicts with command "scene" of plugin "core-scenes"'
    ]
    mimic = registry.get("mimic")
    assert mimic is not None
    assert mimic.plugin_name == "helpful"
    assert mimic.help_file == help_file
