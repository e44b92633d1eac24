"""Installing manifest policies: the scope rules, their messages, schemas and warnings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from holomush_host.manifest import Manifest, PolicySpec, TrustSpec, parse_manifest
from holomush_host.manifest.tests.helpers import (
    CORE_SCENES_MANIFEST,
    ECHO_BOT_MANIFEST,
    dump,
    minimal,
)
from holomush_host.policy import (
    PolicyInstallError,
    PolicySet,
    compile_policy,
    install_plugin_policies,
    manifest_policy_warnings,
    prepare_plugin_policies,
    validate_policy_attributes,
)

SCENE_SCHEMA = {"scene": {"owner", "state", "visibility", "participants", "invitees"}}


def widget_plugin(*dsl: str, trusted: bool = False) -> Manifest:
    base = parse_manifest(
        dump(
            minimal(
                name="widgets",
                resource_types=["widget"],
                commands=[{"name": "widget"}, {"name": "widgets"}],
            )
        )
    )
    policies = tuple(PolicySpec(f"p{i}", text) for i, text in enumerate(dsl))
    return replace(base, policies=policies, trust=TrustSpec(all_principals=trusted))


def test_core_scenes_policies_install_cleanly():
    plan = prepare_plugin_policies(parse_manifest(CORE_SCENES_MANIFEST))
    assert plan.source == "plugin:core-scenes"
    assert len(plan.policies) == 13
    assert plan.policies[0].name == "plugin:core-scenes:execute-scene-commands"
    assert all(p.source == "plugin:core-scenes" for p in plan.policies)
    assert plan.warnings == ()
    assert validate_policy_attributes(plan.policies, SCENE_SCHEMA) == []


def test_echo_bot_policy_installs_cleanly():
    plan = prepare_plugin_policies(parse_manifest(ECHO_BOT_MANIFEST))
    assert [p.name for p in plan.policies] == ["plugin:echo-bot:emit-events"]
    assert plan.warnings == ()


def test_installing_replaces_what_the_plugin_had():
    policies = PolicySet([compile_policy("seed:x", "permit(principal, action, resource);", "seed")])
    manifest = parse_manifest(CORE_SCENES_MANIFEST)
    install_plugin_policies(policies, prepare_plugin_policies(manifest))
    assert len(policies.policies()) == 14
    install_plugin_policies(
        policies, prepare_plugin_policies(replace(manifest, policies=manifest.policies[:2]))
    )
    assert sorted(p.name for p in policies.policies()) == [
        "plugin:core-scenes:end-own-scene",
        "plugin:core-scenes:execute-scene-commands",
        "seed:x",
    ]


CMD = 'permit(principal is character, action in ["execute"], resource is command)'


@pytest.mark.parametrize(
    ("dsl", "message"),
    [
        (
            'permit(principal is plugin, action in ["emit"], resource is stream) when { principal.plugin.name == "other" };',
            'policy references foreign principal "other"',
        ),
        (
            'permit(principal is plugin, action, resource) when { principal.plugin.name in ["widgets", "spy"] };',
            'policy references foreign principal "spy"',
        ),
        (
            'permit(principal is plugin, action, resource) when { principal.plugin.name like "w*" };',
            'policy references foreign principal "w*"',
        ),
        (
            "permit(principal is system, action, resource);",
            "policies may not target the system principal",
        ),
        (
            "permit(principal, action, resource is widget);",
            "policy without a principal type requires trust escalation (trust.all_principals and the server allowlist)",
        ),
        (f"{CMD};", "command policy without command name condition requires trust escalation"),
        (
            f'{CMD} when {{ resource.command.name == "widget" || principal.id == "x" }};',
            "command policy without command name condition requires trust escalation",
        ),
        (
            f'{CMD} when {{ resource.command.name != "widget" }};',
            "command policy without command name condition requires trust escalation",
        ),
        (
            f'{CMD} when {{ resource.command.name in ["widget", "look"] }};',
            'policy references foreign command "look"',
        ),
        (
            'permit(principal is character, action, resource == "command:look");',
            'policy references foreign command "look"',
        ),
        (
            "permit(principal is character, action, resource is location);",
            'resource type "location" is protected',
        ),
        (
            "permit(principal is character, action, resource is scene);",
            'resource type "scene" is not in plugin\'s resource_types',
        ),
        (
            "permit(principal is character, action, resource);",
            "character policy without a resource type requires trust escalation",
        ),
        (
            "permit(principal is session, action, resource is widget);",
            'principal type "session" requires trust escalation',
        ),
        (
            "permit(principal is character, action, resource is widget) when { ;",
            "invalid dsl: line 1, column 67: expected a condition, found ';'",
        ),
    ],
)
def test_each_scope_rule_rejects_with_its_message(dsl: str, message: str):
    with pytest.raises(PolicyInstallError) as caught:
        prepare_plugin_policies(widget_plugin(dsl))
    assert caught.value.messages == (message,)
    assert caught.value.problems[0].policy == "p0"
    assert caught.value.plugin == "widgets"


@pytest.mark.parametrize(
    "dsl",
    [
        'permit(principal is plugin, action in ["emit"], resource is stream) when { principal.plugin.name == "widgets" };',
        'permit(principal is plugin, action, resource) when { principal.plugin.name like "widgets*" };',
        f'{CMD} when {{ resource.command.name in ["widget", "widgets"] }};',
        f'{CMD} when {{ resource.command.name == "widget" && principal.id == "x" }};',
        'permit(principal is character, action, resource == "command:widget");',
        'forbid(principal is character, action in ["delete"], resource is widget) when { resource.widget.locked == true };',
    ],
)
def test_policies_within_the_plugins_own_scope_are_accepted(dsl: str):
    plan = prepare_plugin_policies(widget_plugin(dsl))
    assert len(plan.policies) == 1


def test_trust_escalation_needs_the_manifest_flag_and_the_allowlist():
    dsl = "permit(principal, action, resource is location);"
    with pytest.raises(PolicyInstallError):
        prepare_plugin_policies(widget_plugin(dsl, trusted=True))  # not on the allowlist
    with pytest.raises(PolicyInstallError):
        prepare_plugin_policies(widget_plugin(dsl), trusted_plugins={"widgets"})  # no manifest flag
    plan = prepare_plugin_policies(widget_plugin(dsl, trusted=True), trusted_plugins={"widgets"})
    assert 'policy "p0" is installed with trust escalation' in plan.warnings
    with pytest.raises(PolicyInstallError, match="system principal"):
        prepare_plugin_policies(
            widget_plugin("permit(principal is system, action, resource);", trusted=True),
            trusted_plugins={"widgets"},
        )


def test_all_problems_are_reported_and_nothing_is_installed():
    policies = PolicySet()
    manifest = widget_plugin(
        "permit(principal is system, action, resource);",
        f"{CMD};",
        "permit(principal is character, action, resource is widget);",
    )
    with pytest.raises(PolicyInstallError) as caught:
        prepare_plugin_policies(manifest)
    assert [p.policy for p in caught.value.problems] == ["p0", "p1"]
    assert policies.policies() == ()
    assert str(caught.value).startswith("plugin 'widgets': policies rejected:")


def test_attribute_references_are_checked_against_schemas():
    plan = prepare_plugin_policies(parse_manifest(CORE_SCENES_MANIFEST))
    problems = validate_policy_attributes(
        plan.policies, {"scene": {"owner", "state", "visibility", "participants"}}
    )
    assert {p.policy for p in problems} == {"plugin:core-scenes:join-private-scene-as-invitee"}
    assert (
        problems[0].message == 'resource.scene.invitees is not in the attribute schema of "scene"'
    )
    assert problems[0].code == "PLUGIN_SCHEMA_VALIDATION_FAILED"
    stray = compile_policy(
        "x",
        'permit(principal, action, resource is scene) when { resource.widget.kind == "a" };',
        "t",
    )
    (problem,) = validate_policy_attributes([stray], SCENE_SCHEMA)
    assert (
        problem.message
        == 'resource.widget.kind can never be resolved: the policy is about "scene" entities'
    )


def test_warnings_name_commands_and_capabilities_no_policy_grants():
    manifest = parse_manifest(
        dump(
            minimal(
                name="widgets",
                resource_types=["widget"],
                commands=[
                    {"name": "widget", "capabilities": [{"action": "write", "resource": "widget"}]},
                    {"name": "spin"},
                ],
                policies=[
                    {"name": "run", "dsl": f'{CMD} when {{ resource.command.name == "widget" }};'}
                ],
            )
        )
    )
    plan = prepare_plugin_policies(manifest)
    assert plan.warnings == (
        'command "widget" capability write on widget has no covering character permit',
        'command "spin" has no policy permitting execute',
    )
    assert manifest_policy_warnings(manifest, plan.policies) == list(plan.warnings)
