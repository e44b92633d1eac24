"""Checking a plugin's manifest policies before they are installed (reference §4.11).

A plugin may only grant what is its own to grant: its own commands, its own resource
types, itself as a principal. Anything broader needs trust escalation, which takes both
``trust.all_principals`` in the manifest and the plugin on the server's allowlist.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

from holomush_host.manifest.errors import go_quote
from holomush_host.manifest.model import Manifest
from holomush_host.manifest.vocabulary import PROTECTED_RESOURCE_TYPES
from holomush_host.policy.ast import (
    And,
    AttributeRef,
    Compare,
    CompareOp,
    Condition,
    Effect,
    InList,
    Like,
    Literal,
    PolicyAst,
    ResourceExact,
    Root,
    iter_conditions,
    iter_references,
)
from holomush_host.policy.errors import InstallProblem, PolicyInstallError, PolicySyntaxError
from holomush_host.policy.policy_set import Policy, PolicySet, compile_policy

SCHEMA_VALIDATION_FAILED = "PLUGIN_SCHEMA_VALIDATION_FAILED"


def plugin_policy_source(plugin: str) -> str:
    return f"plugin:{plugin}"


def installed_policy_name(plugin: str, policy: str) -> str:
    return f"plugin:{plugin}:{policy}"


@dataclass(frozen=True)
class PolicyInstallPlan:
    """Policies that passed every check, ready for :func:`install_plugin_policies`."""

    plugin: str
    source: str
    policies: tuple[Policy, ...]
    warnings: tuple[str, ...]


def has_trust_escalation(manifest: Manifest, trusted_plugins: Collection[str]) -> bool:
    return manifest.trust.all_principals and manifest.name in trusted_plugins


def prepare_plugin_policies(
    manifest: Manifest, *, trusted_plugins: Collection[str] = ()
) -> PolicyInstallPlan:
    """Compile and check every policy of ``manifest``; raise with all problems at once."""
    trusted = has_trust_escalation(manifest, trusted_plugins)
    source = plugin_policy_source(manifest.name)
    problems: list[InstallProblem] = []
    warnings: list[str] = []
    compiled: list[Policy] = []
    for spec in manifest.policies:
        try:
            policy = compile_policy(
                installed_policy_name(manifest.name, spec.name), spec.dsl, source
            )
        except PolicySyntaxError as exc:
            problems.append(InstallProblem(spec.name, f"invalid dsl: {exc}"))
            continue
        found = _scope_problems(manifest, policy.ast, trusted)
        problems.extend(InstallProblem(spec.name, message) for message in found)
        if trusted and policy.ast.target.principal_type != "plugin":
            warnings.append(f"policy {go_quote(spec.name)} is installed with trust escalation")
        compiled.append(policy)
    if problems:
        raise PolicyInstallError(manifest.name, problems)
    warnings.extend(manifest_policy_warnings(manifest, compiled))
    return PolicyInstallPlan(manifest.name, source, tuple(compiled), tuple(warnings))


def install_plugin_policies(policy_set: PolicySet, plan: PolicyInstallPlan) -> None:
    """Replace everything the plugin had installed with the plan's policies."""
    policy_set.replace_source(plan.source, plan.policies)


def _scope_problems(manifest: Manifest, ast: PolicyAst, trusted: bool) -> list[str]:
    problems = [
        f"policy references foreign principal {go_quote(name)}"
        for name in _foreign_principal_names(manifest.name, ast.condition)
    ]
    principal = ast.target.principal_type
    if principal == "system":
        problems.append("policies may not target the system principal")
    elif principal == "plugin":
        pass
    elif principal is None:
        if not trusted:
            problems.append(
                "policy without a principal type requires trust escalation "
                "(trust.all_principals and the server allowlist)"
            )
    elif trusted:
        pass
    elif principal == "character":
        problems.extend(_character_resource_problems(manifest, ast))
    else:
        problems.append(f"principal type {go_quote(principal)} requires trust escalation")
    return problems


def _foreign_principal_names(plugin: str, condition: Condition | None) -> Iterator[str]:
    """String values compared with ``principal.<…>.name`` that are not the plugin's name."""

    def is_principal_name(expr: object) -> bool:
        return (
            isinstance(expr, AttributeRef)
            and expr.root is Root.PRINCIPAL
            and len(expr.path) >= 2
            and expr.path[-1] == "name"
        )

    for node in iter_conditions(condition):
        if isinstance(node, Compare):
            for ref, other in ((node.left, node.right), (node.right, node.left)):
                if is_principal_name(ref) and _is_foreign(other, plugin):
                    assert isinstance(other, Literal)
                    yield str(other.value)
        elif isinstance(node, InList) and is_principal_name(node.subject):
            yield from (str(v.value) for v in node.values if _is_foreign(v, plugin))
        elif (
            isinstance(node, Like)
            and is_principal_name(node.subject)
            and not node.pattern.startswith(plugin)
        ):
            yield node.pattern


def _is_foreign(expr: object, plugin: str) -> bool:
    """A string literal other than the plugin's own name."""
    return isinstance(expr, Literal) and isinstance(expr.value, str) and expr.value != plugin


def _character_resource_problems(manifest: Manifest, ast: PolicyAst) -> list[str]:
    resource_type = ast.target.resource_type
    if resource_type is None:
        return ["character policy without a resource type requires trust escalation"]
    if resource_type == "command":
        return _command_policy_problems(manifest, ast)
    if resource_type in manifest.resource_types:
        return []
    if resource_type in PROTECTED_RESOURCE_TYPES:
        return [f"resource type {go_quote(resource_type)} is protected"]
    return [f"resource type {go_quote(resource_type)} is not in plugin's resource_types"]


def _is_command_name(expr: object) -> bool:
    return (
        isinstance(expr, AttributeRef)
        and expr.root is Root.RESOURCE
        and expr.path == ("command", "name")
    )


def _command_names_restricted_by(node: Condition) -> list[str] | None:
    """The names an ``==`` or ``in [...]`` on ``resource.command.name`` allows, if it is one."""
    if isinstance(node, Compare) and node.op is CompareOp.EQ:
        for ref, other in ((node.left, node.right), (node.right, node.left)):
            if (
                _is_command_name(ref)
                and isinstance(other, Literal)
                and isinstance(other.value, str)
            ):
                return [other.value]
    if isinstance(node, InList) and _is_command_name(node.subject):
        return [str(v.value) for v in node.values]
    return None


def _command_policy_problems(manifest: Manifest, ast: PolicyAst) -> list[str]:
    own = {spec.name for spec in manifest.commands}
    named: list[str] = []
    restricted = False
    if isinstance(ast.target.resource, ResourceExact):
        named.append(ast.target.resource.id)
        restricted = True
    # Only a restriction every match must pass counts: the whole condition or one of
    # its top-level `&&` operands (a name check inside `||` restricts nothing).
    condition = ast.condition
    top_level = (
        condition.operands if isinstance(condition, And) else (condition,) if condition else ()
    )
    for operand in top_level:
        names = _command_names_restricted_by(operand)
        if names is not None:
            restricted = True
    for node in iter_conditions(condition):
        names = _command_names_restricted_by(node)
        if names is not None:
            named.extend(names)
    if not restricted:
        return ["command policy without command name condition requires trust escalation"]
    return [
        f"policy references foreign command {go_quote(name)}"
        for name in dict.fromkeys(named)
        if name not in own
    ]


def validate_policy_attributes(
    policies: Iterable[Policy], schemas: Mapping[str, Collection[str]]
) -> list[InstallProblem]:
    """Attributes a policy reads that its entity's schema does not declare.

    ``schemas`` maps an entity type to its attribute names (a plugin's GetSchema answer,
    the host's character provider …). Only types present in ``schemas`` are checked.
    A reference to another type's namespace (``resource.widget.x`` in a policy about
    scenes) can never resolve and is reported too.
    """
    problems: list[InstallProblem] = []
    for policy in policies:
        types = {
            Root.PRINCIPAL: policy.ast.target.principal_type,
            Root.RESOURCE: policy.ast.target.resource_type,
        }
        for root, path in iter_references(policy.ast.condition):
            entity_type = types.get(root)
            if entity_type is None or entity_type not in schemas or path == ("id",):
                continue
            shown = ".".join((root.value, *path))
            if path[0] != entity_type or len(path) < 2:
                message = f"{shown} can never be resolved: the policy is about {go_quote(entity_type)} entities"
            elif ".".join(path[1:]) not in schemas[entity_type]:
                message = f"{shown} is not in the attribute schema of {go_quote(entity_type)}"
            else:
                continue
            problems.append(InstallProblem(policy.name, message, SCHEMA_VALIDATION_FAILED))
    return problems


def manifest_policy_warnings(manifest: Manifest, policies: Iterable[Policy]) -> list[str]:
    """Informational gaps (reference CheckManifestWarnings): what no policy grants."""
    permits = [
        p.ast
        for p in policies
        if p.ast.effect is Effect.PERMIT and p.ast.target.principal_type in (None, "character")
    ]
    warnings = []
    for spec in manifest.commands:
        if not any(_permits_execute(ast, spec.name) for ast in permits):
            warnings.append(f"command {go_quote(spec.name)} has no policy permitting execute")
        for capability in spec.capabilities:
            covered = any(
                (not ast.target.actions or capability.action in ast.target.actions)
                and ast.target.resource_type in (None, capability.resource)
                for ast in permits
            )
            if not covered:
                warnings.append(
                    f"command {go_quote(spec.name)} capability {capability.action} on "
                    f"{capability.resource} has no covering character permit"
                )
    return warnings


def _permits_execute(ast: PolicyAst, command: str) -> bool:
    target = ast.target
    if target.actions and "execute" not in target.actions:
        return False
    if isinstance(target.resource, ResourceExact):
        return target.resource.value == f"command:{command}"
    if target.resource_type not in (None, "command"):
        return False
    named = [
        name
        for node in iter_conditions(ast.condition)
        for name in (_command_names_restricted_by(node) or ())
    ]
    return not named or command in named
