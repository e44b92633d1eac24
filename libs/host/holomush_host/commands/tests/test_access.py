"""Both authorization gates with the real engine and the core-scenes policies."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from holomush_host.commands import (
    ACCESS_EVALUATION_FAILED_MESSAGE,
    PERMISSION_DENIED_MESSAGE,
    CommandError,
    CommandErrorCode,
    CommandRegistry,
    authorize_command,
)
from holomush_host.manifest import parse_manifest
from holomush_host.manifest.tests.helpers import CORE_SCENES_MANIFEST
from holomush_host.policy import (
    AttributeSource,
    CommandAttributeProvider,
    DecisionReason,
    PolicyEngine,
    PolicySet,
    compile_policy,
    install_plugin_policies,
    prepare_plugin_policies,
)


def setup(*seed: str) -> tuple[PolicyEngine, CommandRegistry]:
    policies = PolicySet([compile_policy(f"seed:{i}", text, "seed") for i, text in enumerate(seed)])
    manifest = parse_manifest(CORE_SCENES_MANIFEST)
    install_plugin_policies(policies, prepare_plugin_policies(manifest))
    registry = CommandRegistry()
    registry.register_builtin("look")
    registry.register_plugin(manifest)
    return PolicyEngine(policies), registry


async def test_scene_passes_both_layers():
    engine, registry = setup()
    entry = registry.resolve("scene join 01X").entry
    result = await authorize_command(
        engine, AttributeSource([CommandAttributeProvider()]), character_id="alice", entry=entry
    )
    assert result.execute.policies == ("plugin:core-scenes:execute-scene-commands",)
    (capability,) = result.capabilities
    assert capability.reason is DecisionReason.PERMITTED_PENDING_RESOURCE


async def test_builtin_without_a_policy_is_denied_with_the_reference_text():
    engine, registry = setup()
    with pytest.raises(CommandError) as caught:
        await authorize_command(
            engine,
            AttributeSource([CommandAttributeProvider()]),
            character_id="alice",
            entry=registry.resolve("look").entry,
        )
    assert caught.value.code is CommandErrorCode.PERMISSION_DENIED
    assert (
        caught.value.player_message
        == PERMISSION_DENIED_MESSAGE
        == "You don't have permission to do that."
    )
    assert caught.value.decision is not None


async def test_layer_two_can_deny_after_layer_one_allows():
    engine, registry = setup(
        'forbid(principal is character, action in ["write"], resource is scene) when { principal.id == "mallory" };'
    )
    attributes = AttributeSource([CommandAttributeProvider()])
    with pytest.raises(CommandError) as caught:
        await authorize_command(
            engine, attributes, character_id="mallory", entry=registry.resolve("scene").entry
        )
    assert caught.value.code is CommandErrorCode.PERMISSION_DENIED
    assert "capability write on scene (local)" in caught.value.detail


class BrokenCommandProvider:
    entity_type = "command"
    attribute_names = frozenset({"name"})

    async def resolve(self, entity_id: str) -> Mapping[str, object] | None:
        raise RuntimeError("attribute store offline")


async def test_evaluation_failure_gives_the_reference_text():
    engine, registry = setup()
    with pytest.raises(CommandError) as caught:
        await authorize_command(
            engine,
            AttributeSource([BrokenCommandProvider()]),
            character_id="alice",
            entry=registry.resolve("scene").entry,
        )
    assert caught.value.code is CommandErrorCode.ACCESS_EVALUATION_FAILED
    assert caught.value.player_message == ACCESS_EVALUATION_FAILED_MESSAGE
    assert (
        caught.value.player_message
        == "Permission check failed. Please try again or contact an administrator."
    )
