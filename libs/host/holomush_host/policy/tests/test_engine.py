"""PolicyEngine: deny-overrides, default deny, fail closed, lazy attributes, pre-flight."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from holomush_host.manifest import CapabilityScope, parse_manifest
from holomush_host.manifest.tests.helpers import CORE_SCENES_MANIFEST, ECHO_BOT_MANIFEST
from holomush_host.policy import (
    AccessRequest,
    AttributeSource,
    CommandAttributeProvider,
    DecisionEffect,
    DecisionReason,
    MappingAttributeProvider,
    PluginSubjectAttributeProvider,
    PolicyEngine,
    PolicySet,
    compile_policy,
    install_plugin_policies,
    prepare_plugin_policies,
)

SCENE_ATTRIBUTES = ("owner", "state", "visibility", "participants", "invitees")


def scenes_provider() -> MappingAttributeProvider:
    return MappingAttributeProvider(
        "scene",
        SCENE_ATTRIBUTES,
        {
            "scene-open": {
                "owner": "alice",
                "state": "active",
                "visibility": "open",
                "participants": ["alice"],
                "invitees": [],
            },
            "scene-private": {
                "owner": "alice",
                "state": "paused",
                "visibility": "private",
                "participants": ["alice"],
                "invitees": ["carol"],
            },
            "scene-ended": {
                "owner": "alice",
                "state": "ended",
                "visibility": "open",
                "participants": ["alice"],
                "invitees": [],
            },
        },
    )


@pytest.fixture
def core_scenes_engine() -> tuple[PolicyEngine, AttributeSource, MappingAttributeProvider]:
    policies = PolicySet()
    install_plugin_policies(policies, prepare_plugin_policies(parse_manifest(CORE_SCENES_MANIFEST)))
    scenes = scenes_provider()
    return PolicyEngine(policies), AttributeSource([scenes, CommandAttributeProvider()]), scenes


def engine_with(*policies: tuple[str, str], **kwargs) -> PolicyEngine:
    compiled = [compile_policy(name, text, "test") for name, text in policies]
    return PolicyEngine(PolicySet(compiled), **kwargs)


async def decide(
    engine: PolicyEngine, attributes: AttributeSource, subject: str, action: str, resource: str
):
    return await engine.evaluate(AccessRequest(subject, action, resource), attributes)


# --- the core-scenes policies, per instance -------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "action", "resource", "allowed", "policy"),
    [
        ("alice", "execute", "command:scene", True, "plugin:core-scenes:execute-scene-commands"),
        ("bob", "execute", "command:scenes", True, "plugin:core-scenes:execute-scene-commands"),
        ("bob", "execute", "command:look", False, None),
        ("alice", "end", "scene:scene-open", True, "plugin:core-scenes:end-own-scene"),
        ("bob", "end", "scene:scene-open", False, None),
        ("alice", "end", "scene:scene-ended", False, None),
        ("alice", "pause", "scene:scene-open", True, "plugin:core-scenes:pause-own-scene"),
        ("alice", "pause", "scene:scene-private", False, None),
        (
            "alice",
            "resume",
            "scene:scene-private",
            True,
            "plugin:core-scenes:resume-scene-as-participant",
        ),
        ("alice", "read", "scene:scene-open", True, "plugin:core-scenes:read-scene-as-participant"),
        ("bob", "read", "scene:scene-open", False, None),
        ("bob", "join", "scene:scene-open", True, "plugin:core-scenes:join-open-scene"),
        ("bob", "join", "scene:scene-private", False, None),
        (
            "carol",
            "join",
            "scene:scene-private",
            True,
            "plugin:core-scenes:join-private-scene-as-invitee",
        ),
        ("bob", "join", "scene:scene-ended", False, None),
        ("alice", "kick", "scene:scene-open", True, "plugin:core-scenes:kick-from-scene"),
        ("bob", "transfer-ownership", "scene:scene-open", False, None),
        ("alice", "end", "scene:scene-missing", False, None),
        ("alice", "delete", "scene:scene-open", False, None),
    ],
)
async def test_core_scenes_rules_hold_per_scene(
    core_scenes_engine, subject, action, resource, allowed, policy
):
    engine, attributes, _ = core_scenes_engine
    decision = await decide(engine, attributes, f"character:{subject}", action, resource)
    assert decision.allowed is allowed, decision.message
    if policy is not None:
        assert decision.policies == (policy,)
        assert decision.reason is DecisionReason.PERMITTED


async def test_missing_scene_denies_and_says_why(core_scenes_engine):
    engine, attributes, _ = core_scenes_engine
    decision = await decide(engine, attributes, "character:alice", "end", "scene:scene-missing")
    assert decision.reason is DecisionReason.NO_SATISFIED_PERMIT
    assert "missing attribute resource.scene.owner" in decision.message
    assert decision.error is None


async def test_no_policy_for_the_action_is_default_deny(core_scenes_engine):
    engine, attributes, _ = core_scenes_engine
    decision = await decide(engine, attributes, "character:alice", "delete", "scene:scene-open")
    assert decision.effect is DecisionEffect.DENY
    assert decision.reason is DecisionReason.NO_APPLICABLE_POLICY


# --- combining ------------------------------------------------------------------------------


async def test_forbid_overrides_permit():
    engine = engine_with(
        ("allow-all", "permit(principal, action, resource);"),
        ("no-reading", 'forbid(principal is character, action in ["read"], resource);'),
        ("no-reading-twice", 'forbid(principal, action in ["read"], resource is scene);'),
    )
    decision = await decide(engine, AttributeSource(), "character:alice", "read", "scene:x")
    assert decision.reason is DecisionReason.FORBIDDEN
    assert decision.policies == ("no-reading", "no-reading-twice")
    other = await decide(engine, AttributeSource(), "character:alice", "write", "scene:x")
    assert other.allowed
    assert other.policies == ("allow-all",)


async def test_no_policies_at_all_is_default_deny():
    decision = await decide(
        PolicyEngine(PolicySet()), AttributeSource(), "character:a", "read", "scene:x"
    )
    assert decision.reason is DecisionReason.NO_APPLICABLE_POLICY
    assert not decision.allowed


async def test_target_matching_by_principal_action_and_resource():
    engine = engine_with(
        ("exact", 'permit(principal is character, action in ["use"], resource == "object:lamp");'),
    )
    attributes = AttributeSource()
    assert (await decide(engine, attributes, "character:a", "use", "object:lamp")).allowed
    assert not (await decide(engine, attributes, "character:a", "use", "object:chair")).allowed
    assert not (await decide(engine, attributes, "plugin:a", "use", "object:lamp")).allowed
    assert not (await decide(engine, attributes, "character:a", "read", "object:lamp")).allowed


# --- failing closed ---------------------------------------------------------------------------


class FailingProvider:
    entity_type = "scene"
    attribute_names = frozenset({"owner"})

    def __init__(self, error: Exception | None = None, gate: asyncio.Event | None = None) -> None:
        self.error = error
        self.gate = gate

    async def resolve(self, entity_id: str) -> Mapping[str, object] | None:
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return {"owner": "alice"}


OWNER_PERMIT = (
    "owner",
    "permit(principal, action, resource is scene) when { resource.scene.owner == principal.id };",
)


async def test_provider_error_denies_with_the_error():
    engine = engine_with(OWNER_PERMIT)
    attributes = AttributeSource([FailingProvider(ConnectionError("plugin went away"))])
    decision = await decide(engine, attributes, "character:alice", "end", "scene:1")
    assert decision.reason is DecisionReason.ATTRIBUTE_RESOLUTION_FAILED
    assert decision.error == "resolving attributes of scene:1 failed: plugin went away"


async def test_slow_provider_times_out_and_denies():
    engine = engine_with(OWNER_PERMIT, resolution_timeout=0.05)
    gate = asyncio.Event()  # never set: the provider would wait forever
    decision = await decide(
        engine, AttributeSource([FailingProvider(gate=gate)]), "character:alice", "end", "scene:1"
    )
    assert decision.reason is DecisionReason.ATTRIBUTE_RESOLUTION_FAILED
    assert "longer than 0.05s" in (decision.error or "")


async def test_a_forbid_that_cannot_be_evaluated_denies_even_when_a_permit_holds():
    engine = engine_with(
        ("allow-all", "permit(principal, action, resource);"),
        (
            "no-banned",
            "forbid(principal, action, resource) when { principal.character.banned == true };",
        ),
    )
    decision = await decide(engine, AttributeSource(), "character:alice", "read", "scene:x")
    assert decision.reason is DecisionReason.EVALUATION_ERROR
    assert decision.policies == ("no-banned",)
    assert decision.error == "no-banned: missing attribute principal.character.banned"


async def test_guarded_forbid_does_not_fire_on_missing_attribute():
    engine = engine_with(
        ("allow-all", "permit(principal, action, resource);"),
        (
            "no-banned",
            "forbid(principal, action, resource) when "
            "{ principal has character.banned && principal.character.banned == true };",
        ),
    )
    assert (await decide(engine, AttributeSource(), "character:alice", "read", "scene:x")).allowed


async def test_undeclared_attributes_are_dropped():
    provider = MappingAttributeProvider(
        "scene", ["state"], {"1": {"state": "active", "owner": "alice"}}
    )
    decision = await decide(
        engine_with(OWNER_PERMIT), AttributeSource([provider]), "character:alice", "end", "scene:1"
    )
    assert not decision.allowed
    assert "missing attribute resource.scene.owner" in decision.message


# --- laziness ---------------------------------------------------------------------------------


async def test_providers_are_asked_only_when_a_candidate_reads_them(core_scenes_engine):
    engine, attributes, scenes = core_scenes_engine
    characters = MappingAttributeProvider("character", ["name"], {"alice": {"name": "Alice"}})
    attributes.register(characters)
    assert (await decide(engine, attributes, "character:alice", "execute", "command:scene")).allowed
    assert scenes.calls == []
    assert characters.calls == []
    assert (await decide(engine, attributes, "character:alice", "end", "scene:scene-open")).allowed
    assert scenes.calls == ["scene-open"]  # once, though the policy reads two attributes
    assert characters.calls == []  # principal.id is built in; no policy reads character.*


async def test_preflight_never_resolves_the_resource(core_scenes_engine):
    engine, attributes, scenes = core_scenes_engine
    decision = await engine.can_perform_action("character:alice", "write", "scene", attributes)
    assert decision.reason is DecisionReason.PERMITTED_PENDING_RESOURCE
    assert scenes.calls == []


# --- subjects ---------------------------------------------------------------------------------


async def test_session_subject_acts_as_its_character():
    async def sessions(session_id: str) -> str | None:
        return {"s1": "alice"}.get(session_id)

    engine = engine_with(
        (
            "alice-only",
            'permit(principal is character, action, resource) when { principal.id == "alice" };',
        ),
        session_resolver=sessions,
    )
    assert (await decide(engine, AttributeSource(), "session:s1", "read", "scene:x")).allowed
    unknown = await decide(engine, AttributeSource(), "session:s2", "read", "scene:x")
    assert unknown.reason is DecisionReason.ATTRIBUTE_RESOLUTION_FAILED
    assert unknown.error == "session:s2 is not an active session"
    no_resolver = await decide(engine_with(), AttributeSource(), "session:s1", "read", "scene:x")
    assert no_resolver.error == "session subjects need a session resolver"


async def test_system_subject_needs_a_system_context():
    engine = engine_with()
    denied = await engine.evaluate(
        AccessRequest("system", "admin", "server:main"), AttributeSource()
    )
    assert denied.reason is DecisionReason.INVALID_REQUEST
    allowed = await engine.evaluate(
        AccessRequest("system", "admin", "server:main"), AttributeSource(), system_context=True
    )
    assert allowed.reason is DecisionReason.SYSTEM_BYPASS
    assert allowed.allowed


@pytest.mark.parametrize(
    ("subject", "action", "resource", "error"),
    [
        ("alice", "read", "scene:x", "subject 'alice' must have the form type:id"),
        ("character:", "read", "scene:x", "subject 'character:' must have the form type:id"),
        ("Character:a", "read", "scene:x", "subject 'Character:a' must have the form type:id"),
        ("character:a", "", "scene:x", "action '' must be a non-empty word"),
        ("character:a", "re ad", "scene:x", "action 're ad' must be a non-empty word"),
        ("character:a", "read", "scene", "resource 'scene' must have the form type:id"),
        (
            "character:a b",
            "read",
            "scene:x",
            "subject 'character:a b' must not contain whitespace or control characters",
        ),
    ],
)
async def test_malformed_requests_are_denied(subject: str, action: str, resource: str, error: str):
    decision = await decide(
        engine_with(("all", "permit(principal, action, resource);")),
        AttributeSource(),
        subject,
        action,
        resource,
    )
    assert decision.reason is DecisionReason.INVALID_REQUEST
    assert decision.error == error


async def test_echo_bot_may_emit_only_while_loaded():
    policies = PolicySet()
    install_plugin_policies(policies, prepare_plugin_policies(parse_manifest(ECHO_BOT_MANIFEST)))
    loaded = {"echo-bot"}
    attributes = AttributeSource([PluginSubjectAttributeProvider(lambda: loaded)])
    engine = PolicyEngine(policies)
    assert (
        await decide(engine, attributes, "plugin:echo-bot", "emit", "stream:location:1")
    ).allowed
    assert not (
        await decide(engine, attributes, "plugin:other", "emit", "stream:location:1")
    ).allowed
    loaded.clear()
    assert not (
        await decide(engine, attributes, "plugin:echo-bot", "emit", "stream:location:1")
    ).allowed


async def test_environment_attributes_are_resolved_when_read():
    class Clock:
        def __init__(self) -> None:
            self.calls = 0

        async def resolve(self) -> Mapping[str, object]:
            self.calls += 1
            return {"hour": 22}

    clock = Clock()
    engine = engine_with(("daytime", "permit(principal, action, resource) when { env.hour < 20 };"))
    attributes = AttributeSource(environment=clock)
    assert not (await decide(engine, attributes, "character:a", "read", "scene:x")).allowed
    assert clock.calls == 1
    await decide(
        engine_with(("all", "permit(principal, action, resource);")),
        attributes,
        "character:a",
        "read",
        "scene:x",
    )
    assert clock.calls == 1


# --- the type-level pre-flight (Layer 2) -------------------------------------------------------


async def test_preflight_honours_scope():
    engine = engine_with(
        (
            "participant-write",
            'permit(principal is character, action in ["write"], resource is scene) when { principal.id in resource.scene.participants };',
        ),
    )
    attributes = AttributeSource()
    local = await engine.can_perform_action(
        "character:a", "write", "scene", attributes, scope=CapabilityScope.LOCAL
    )
    assert local.reason is DecisionReason.PERMITTED_PENDING_RESOURCE
    assert local.policies == ("participant-write",)
    everywhere = await engine.can_perform_action(
        "character:a", "write", "scene", attributes, scope=CapabilityScope.GLOBAL
    )
    assert everywhere.reason is DecisionReason.NO_SATISFIED_PERMIT


async def test_preflight_definite_answers_and_forbids():
    characters = MappingAttributeProvider(
        "character", ["roles"], {"gm": {"roles": ["gm"]}, "pc": {"roles": []}}
    )
    attributes = AttributeSource([characters])
    engine = engine_with(
        (
            "gm-write",
            'permit(principal is character, action in ["write"], resource is scene) when { principal.character.roles.containsAny(["gm"]) };',
        ),
        ("exact", 'permit(principal, action, resource == "scene:special");'),
        (
            "no-closed",
            'forbid(principal, action, resource is scene) when { resource.scene.state == "closed" };',
        ),
        (
            "no-pc-delete",
            'forbid(principal, action in ["delete"], resource) when { !principal.character.roles.containsAny(["gm"]) };',
        ),
    )
    gm = await engine.can_perform_action(
        "character:gm", "write", "scene", attributes, scope=CapabilityScope.GLOBAL
    )
    assert gm.reason is DecisionReason.PERMITTED  # the resource-dependent forbid is left for later
    pc = await engine.can_perform_action("character:pc", "write", "scene", attributes)
    assert (
        pc.reason is DecisionReason.NO_SATISFIED_PERMIT
    )  # the exact-resource permit does not count
    forbidden = await engine.can_perform_action("character:pc", "delete", "scene", attributes)
    assert forbidden.reason is DecisionReason.FORBIDDEN
    assert forbidden.policies == ("no-pc-delete",)


async def test_preflight_rejects_bad_resource_types():
    decision = await engine_with().can_perform_action(
        "character:a", "write", "Scene Type", AttributeSource()
    )
    assert decision.reason is DecisionReason.INVALID_REQUEST
