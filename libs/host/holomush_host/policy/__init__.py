"""The ABAC policy DSL: parser, evaluator, engine and plugin policy installation."""

from holomush_host.policy.ast import Effect, PolicyAst, format_policy
from holomush_host.policy.attributes import (
    AttributeProvider,
    AttributeSource,
    CommandAttributeProvider,
    EnvironmentProvider,
    MappingAttributeProvider,
    PluginSubjectAttributeProvider,
)
from holomush_host.policy.engine import (
    AccessRequest,
    Decision,
    DecisionEffect,
    DecisionReason,
    EntityRef,
    PolicyEngine,
    SessionResolver,
    parse_entity,
)
from holomush_host.policy.errors import (
    AccessRequestError,
    InstallProblem,
    PolicyError,
    PolicyInstallError,
    PolicySyntaxError,
    Position,
)
from holomush_host.policy.evaluator import AttributeBags, AttributeValue, evaluate_condition
from holomush_host.policy.installation import (
    PolicyInstallPlan,
    install_plugin_policies,
    manifest_policy_warnings,
    prepare_plugin_policies,
    validate_policy_attributes,
)
from holomush_host.policy.parser import parse_policy
from holomush_host.policy.policy_set import Policy, PolicySet, compile_policy

__all__ = [
    "AccessRequest",
    "AccessRequestError",
    "AttributeBags",
    "AttributeProvider",
    "AttributeSource",
    "AttributeValue",
    "CommandAttributeProvider",
    "Decision",
    "DecisionEffect",
    "DecisionReason",
    "Effect",
    "EntityRef",
    "EnvironmentProvider",
    "InstallProblem",
    "MappingAttributeProvider",
    "PluginSubjectAttributeProvider",
    "Policy",
    "PolicyAst",
    "PolicyEngine",
    "PolicyError",
    "PolicyInstallError",
    "PolicyInstallPlan",
    "PolicySet",
    "PolicySyntaxError",
    "Position",
    "SessionResolver",
    "compile_policy",
    "evaluate_condition",
    "format_policy",
    "install_plugin_policies",
    "manifest_policy_warnings",
    "parse_entity",
    "parse_policy",
    "prepare_plugin_policies",
    "validate_policy_attributes",
]
