"""Property tests for the policy parser, evaluator and engine."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from holomush_host.policy import (
    AccessRequest,
    AttributeSource,
    Decision,
    DecisionReason,
    MappingAttributeProvider,
    PolicyEngine,
    PolicySet,
    PolicySyntaxError,
    compile_policy,
    evaluate_condition,
    format_policy,
    parse_policy,
)
from holomush_host.policy.ast import Effect, PolicyAst
from holomush_host.policy.evaluator import AttributeBags, Unknown
from holomush_host.policy.tests.strategies import attribute_bags, conditions, policies

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Each engine example runs an event loop; fewer examples keep the suite quick.
ENGINE_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=100)

TOKENS = [
    "permit",
    "forbid",
    "(",
    ")",
    "principal",
    "action",
    "resource",
    ",",
    "is",
    "in",
    "[",
    "]",
    '"read"',
    "==",
    "!=",
    ">=",
    "<",
    "when",
    "{",
    "}",
    ";",
    "&&",
    "||",
    "!",
    ".",
    "has",
    "like",
    '"a*"',
    "if",
    "then",
    "else",
    "true",
    "false",
    "1",
    "-2.5",
    "scene",
    "containsAll",
    "containsAny",
    "env",
    " ",
    "\n",
    "x-y",
    "&",
    "=",
    "'",
    '"',
    "@",
]


def parse_or_syntax_error(text: str) -> PolicyAst | PolicySyntaxError:
    try:
        return parse_policy(text)
    except PolicySyntaxError as exc:
        error = exc
    assert error.position.line >= 1
    assert error.position.column >= 1
    assert 0 <= error.position.offset <= len(text)
    return error


@PROPERTY_SETTINGS
@given(st.text(max_size=300))
def test_parser_on_arbitrary_text(text: str):
    parse_or_syntax_error(text)


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_parser_on_token_soup(tokens: list[str]):
    parse_or_syntax_error(" ".join(tokens))


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_parser_on_token_soup_after_a_valid_head(tokens: list[str]):
    parse_or_syntax_error("permit(principal, action, resource) when { " + " ".join(tokens))


@PROPERTY_SETTINGS
@given(policies)
def test_canonical_text_round_trips(policy: PolicyAst):
    assert parse_policy(format_policy(policy)) == policy


@PROPERTY_SETTINGS
@given(conditions, attribute_bags)
def test_evaluator_always_answers(condition, bags: AttributeBags):
    outcome = evaluate_condition(condition, bags)
    assert isinstance(outcome, bool | Unknown)


def run(coroutine: Coroutine[Any, Any, Decision]) -> Decision:
    return asyncio.run(coroutine)


requests = st.builds(
    AccessRequest,
    st.one_of(
        st.sampled_from(["character:a", "plugin:p", "system", "session:s"]), st.text(max_size=12)
    ),
    st.one_of(st.sampled_from(["read", "write", "end"]), st.text(max_size=6)),
    st.one_of(st.sampled_from(["scene:1", "scene:x", "command:1"]), st.text(max_size=12)),
)


def attribute_source() -> AttributeSource:
    provider = MappingAttributeProvider(
        "scene", ["a", "b", "tags"], {"1": {"a": 1, "b": "x", "tags": ["a", "b"]}, "x": {"a": "1"}}
    )
    return AttributeSource([provider])


@ENGINE_SETTINGS
@given(st.lists(policies, max_size=4), requests)
def test_engine_always_decides_and_forbid_overrides(asts: list[PolicyAst], request: AccessRequest):
    compiled = [compile_policy(f"p{i}", format_policy(ast), "prop") for i, ast in enumerate(asts)]
    decision = run(PolicyEngine(PolicySet(compiled)).evaluate(request, attribute_source()))
    if decision.allowed:
        assert decision.reason is DecisionReason.PERMITTED
        assert decision.policies
    veto = compile_policy("veto", "forbid(principal, action, resource);", "prop")
    vetoed = run(PolicyEngine(PolicySet([*compiled, veto])).evaluate(request, attribute_source()))
    assert not vetoed.allowed


@ENGINE_SETTINGS
@given(st.lists(policies.map(lambda p: replace(p, effect=Effect.FORBID)), max_size=4), requests)
def test_without_permits_nothing_is_allowed(asts: list[PolicyAst], request: AccessRequest):
    compiled = [compile_policy(f"p{i}", format_policy(ast), "prop") for i, ast in enumerate(asts)]
    decision = run(PolicyEngine(PolicySet(compiled)).evaluate(request, attribute_source()))
    assert not decision.allowed
