"""Capability checks against the resource types and actions of all discovered plugins."""

from __future__ import annotations

from holomush_host.manifest import check_command_capabilities, known_vocabulary, parse_manifest
from holomush_host.manifest.tests.helpers import (
    CORE_SCENES_MANIFEST,
    ECHO_BOT_MANIFEST,
    dump,
    minimal,
)


def manifest_with(capability: dict[str, str], **fields: object):
    return parse_manifest(
        dump(minimal(commands=[{"name": "act", "capabilities": [capability]}], **fields))
    )


def test_shipped_manifests_pass():
    core, echo = parse_manifest(CORE_SCENES_MANIFEST), parse_manifest(ECHO_BOT_MANIFEST)
    vocabulary = known_vocabulary([core, echo])
    for manifest in (core, echo):
        check = check_command_capabilities(manifest, vocabulary)
        assert check.problems == ()
        assert check.warnings == ()


def test_unknown_resource_type_and_action_are_errors():
    manifest = manifest_with({"action": "juggle", "resource": "widget"})
    check = check_command_capabilities(manifest, known_vocabulary([manifest]))
    assert [(p.path, p.message, p.code) for p in check.problems] == [
        (
            "commands[0].capabilities[0].resource",
            'unknown resource type "widget"',
            "INVALID_CAPABILITY",
        ),
        ("commands[0].capabilities[0].action", 'unknown action "juggle"', "INVALID_CAPABILITY"),
    ]


def test_own_declarations_count():
    manifest = manifest_with(
        {"action": "juggle", "resource": "widget"}, resource_types=["widget"], actions=["juggle"]
    )
    check = check_command_capabilities(manifest, known_vocabulary([manifest]))
    assert check.problems == ()
    assert check.warnings == ()


def test_another_plugins_action_is_allowed_with_a_warning():
    declarer = parse_manifest(
        dump(minimal(name="declarer", actions=["juggle"], resource_types=["widget"]))
    )
    user = manifest_with({"action": "juggle", "resource": "widget"}, name="user")
    check = check_command_capabilities(user, known_vocabulary([declarer, user]))
    assert check.problems == ()
    assert check.warnings == (
        'plugin "user" command "act" uses action "juggle", which only another plugin declares',
    )
