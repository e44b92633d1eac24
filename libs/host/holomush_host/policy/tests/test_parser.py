"""The DSL parser: every grammar form, and specific, positioned syntax errors."""

from __future__ import annotations

import pytest

from holomush_host.policy import PolicySyntaxError, format_policy, parse_policy
from holomush_host.policy.ast import (
    And,
    AttributeRef,
    BoolConst,
    Compare,
    CompareOp,
    Contains,
    ContainsMode,
    Effect,
    Has,
    IfThenElse,
    InExpr,
    InList,
    Like,
    Literal,
    Not,
    Or,
    ResourceExact,
    ResourceType,
    Root,
    Target,
)

HEAD = "permit(principal, action, resource)"


def condition_of(text: str):
    return parse_policy(f"{HEAD} when {{ {text} }};").condition


def test_target_forms():
    policy = parse_policy(
        'forbid(principal is character, action in ["read", "write"], resource is scene);'
    )
    assert policy.effect is Effect.FORBID
    assert policy.target == Target("character", ("read", "write"), ResourceType("scene"))
    assert policy.condition is None
    exact = parse_policy('permit(principal, action, resource == "command:scene");').target
    assert exact == Target(None, (), ResourceExact("command:scene"))
    assert exact.resource_type == "command"


def test_semicolon_is_optional_and_whitespace_free_form():
    assert parse_policy("permit(principal,action,resource)") == parse_policy(
        "permit (\n  principal ,\n  action ,\n  resource\n) ;"
    )


principal_id = AttributeRef(Root.PRINCIPAL, ("id",))
owner = AttributeRef(Root.RESOURCE, ("scene", "owner"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", BoolConst(True)),
        ("false", BoolConst(False)),
        ("resource.scene.owner == principal.id", Compare(owner, CompareOp.EQ, principal_id)),
        *[
            (
                f"principal.level {op.value} 3",
                Compare(AttributeRef(Root.PRINCIPAL, ("level",)), op, Literal(3)),
            )
            for op in CompareOp
        ],
        (
            '"open" == resource.scene.visibility',
            Compare(
                Literal("open"), CompareOp.EQ, AttributeRef(Root.RESOURCE, ("scene", "visibility"))
            ),
        ),
        (
            "env.load < -1.5",
            Compare(AttributeRef(Root.ENV, ("load",)), CompareOp.LT, Literal(-1.5)),
        ),
        (
            'action.name == "end"',
            Compare(AttributeRef(Root.ACTION, ("name",)), CompareOp.EQ, Literal("end")),
        ),
        ("true == false", Compare(Literal(True), CompareOp.EQ, Literal(False))),
        (
            'principal.id in ["a", 1, true]',
            InList(principal_id, (Literal("a"), Literal(1), Literal(True))),
        ),
        (
            "principal.id in resource.scene.participants",
            InExpr(principal_id, AttributeRef(Root.RESOURCE, ("scene", "participants"))),
        ),
        ('principal.id like "char-*"', Like(principal_id, "char-*")),
        ("resource has scene.owner", Has(Root.RESOURCE, ("scene", "owner"))),
        ("principal has id", Has(Root.PRINCIPAL, ("id",))),
        (
            'resource.scene.tags.containsAll(["a", "b"])',
            Contains(
                AttributeRef(Root.RESOURCE, ("scene", "tags")),
                ContainsMode.ALL,
                (Literal("a"), Literal("b")),
            ),
        ),
        (
            'resource.tags.containsAny(["a"])',
            Contains(AttributeRef(Root.RESOURCE, ("tags",)), ContainsMode.ANY, (Literal("a"),)),
        ),
        ("!true", Not(BoolConst(True))),
        ("!(true || false)", Not(Or((BoolConst(True), BoolConst(False))))),
        ("true && false && true", And((BoolConst(True), BoolConst(False), BoolConst(True)))),
        ("true || false && true", Or((BoolConst(True), And((BoolConst(False), BoolConst(True)))))),
        (
            "if true then false else true",
            IfThenElse(BoolConst(True), BoolConst(False), BoolConst(True)),
        ),
        (
            'principal.scene-role == "gm"',
            Compare(AttributeRef(Root.PRINCIPAL, ("scene-role",)), CompareOp.EQ, Literal("gm")),
        ),
    ],
)
def test_condition_forms(text: str, expected: object):
    assert condition_of(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "at"),
    [
        (
            "allow(principal, action, resource);",
            "expected 'permit' or 'forbid', found 'allow'",
            "allow",
        ),
        (
            "permit principal, action, resource);",
            "expected '(' after 'permit', found 'principal'",
            "principal",
        ),
        (
            "permit(action, principal, resource);",
            "expected 'principal' as the first part of the target, found 'action'",
            "action, p",
        ),
        (
            "permit(principal action, resource);",
            "expected ',' after the principal, found 'action'",
            "action",
        ),
        (
            "permit(principal, action in [], resource);",
            "expected an action name (a double-quoted string), found ']'",
            "]",
        ),
        (
            'permit(principal, action in ["read"] resource);',
            "expected ',' after the action, found 'resource'",
            "resource",
        ),
        ('permit(principal, action in [""], resource);', "action names must not be empty", '""'),
        (
            "permit(principal, action, resource is);",
            "expected a resource type after 'is', found ')'",
            ")",
        ),
        (
            'permit(principal, action, resource == "scene");',
            'exact resource "scene" must have the form "type:id"',
            '"scene"',
        ),
        (
            "permit(principal is when, action, resource);",
            "'when' is a reserved word and cannot be used as a principal type after 'is'",
            "when",
        ),
        (
            "permit(principal, action, resource) when true;",
            "expected '{' after 'when', found 'true'",
            "true",
        ),
        (
            "permit(principal, action, resource) when { true ;",
            "expected '}' to close the 'when' block, found ';'",
            ";",
        ),
        (
            "permit(principal, action, resource); permit(principal, action, resource);",
            "expected the end of the policy (one statement per policy), found 'permit'",
            "permit",
        ),
        (f"{HEAD} when {{ resource.x = 1 }}", "unexpected '=' (use '==' to compare)", "="),
        (f"{HEAD} when {{ true & false }}", "unexpected '&' (use '&&')", "&"),
        (f"{HEAD} when {{ true | false }}", "unexpected '|' (use '||')", "|"),
        (
            f"{HEAD} when {{ resource.x == 'a' }}",
            'unexpected "\'" (strings use double quotes)',
            "'a'",
        ),
        (f'{HEAD} when {{ resource.x == "a }}', "unterminated string (missing closing '\"')", '"a'),
        (f"{HEAD} when {{ resource.x == 1 @ }}", "unexpected character '@'", "@"),
        (
            f"{HEAD} when {{ resource == 1 }}",
            "expected '.' and an attribute name or 'has' after 'resource', found '=='",
            "==",
        ),
        (
            f"{HEAD} when {{ resource.in == 1 }}",
            "'in' is a reserved word and cannot be used as an attribute name",
            "in ==",
        ),
        (
            f"{HEAD} when {{ resource has when }}",
            "'when' is a reserved word and cannot be used as an attribute name after 'has'",
            "when }",
        ),
        (
            f"{HEAD} when {{ resource.x }}",
            "expected a comparison operator, 'in' or 'like', found '}'",
            "}",
        ),
        (
            f"{HEAD} when {{ 5 }}",
            "expected a comparison operator, 'in' or 'like' after the literal, found '}'",
            "}",
        ),
        (f"{HEAD} when {{ }}", "expected a condition, found '}'", "}"),
        (f"{HEAD} when {{ resource.x in [] }}", "a list needs at least one value, found ']'", "]"),
        (
            f'{HEAD} when {{ resource.x in "abc" }}',
            "the right side of 'in' must be a list or an attribute",
            '"abc"',
        ),
        (
            f'{HEAD} when {{ resource.containsAll(["a"]) }}',
            "containsAll needs an attribute path, as in resource.tags.containsAll([...])",
            "containsAll",
        ),
        (
            f"{HEAD} when {{ resource.tags.containsAny([1]) }}",
            "containsAny takes a list of strings",
            "[1]",
        ),
        (f'{HEAD} when {{ resource.x like "a**" }}', "like pattern must not contain '**'", '"a**"'),
        (
            f'{HEAD} when {{ resource.x like "[ab]" }}',
            "like pattern must not contain '[' or '{'",
            '"[ab]"',
        ),
        (
            f'{HEAD} when {{ resource.x like "*?*?*?" }}',
            "like pattern has more than 5 wildcards ('*' or '?')",
            '"*?',
        ),
        (
            f'{HEAD} when {{ resource.x like "{"a" * 101}" }}',
            "like pattern is longer than 100 characters",
            '"aaa',
        ),
        (
            f"{HEAD} when {{ resource.x == 99999999999999999999 }}",
            "number 99999999999999999999 is out of range",
            "999",
        ),
        (
            f"{HEAD} when {{ if true then false }}",
            "expected 'else' after the 'then' branch, found '}'",
            "}",
        ),
        (f"{HEAD} when {{ (true }}", "expected ')' to close '(', found '}'", "}"),
    ],
)
def test_syntax_errors_are_specific_and_positioned(text: str, message: str, at: str):
    column = text.rindex(at) + 1 if at != "999" else text.index(at) + 1
    with pytest.raises(PolicySyntaxError) as caught:
        parse_policy(text)
    assert caught.value.message == message
    assert (caught.value.position.line, caught.value.position.column) == (1, column)
    assert str(caught.value) == f"line 1, column {column}: {message}"


def test_error_positions_count_lines():
    with pytest.raises(PolicySyntaxError) as caught:
        parse_policy("permit(principal, action, resource)\nwhen {\n  resource.x === 1\n};")
    assert (caught.value.position.line, caught.value.position.column) == (3, 16)


def test_nesting_limit():
    ok = f"{HEAD} when {{ {'!' * 31}true }};"
    assert parse_policy(ok).condition is not None
    with pytest.raises(PolicySyntaxError, match="nested more than 32 levels deep"):
        parse_policy(f"{HEAD} when {{ {'!' * 32}true }};")
    with pytest.raises(PolicySyntaxError, match="nested more than 32 levels deep"):
        parse_policy(f"{HEAD} when {{ {'(' * 40}true{')' * 40} }};")


def test_like_limits_accept_the_edge():
    assert isinstance(condition_of(f'resource.x like "{"a" * 100}"'), Like)
    assert isinstance(condition_of('resource.x like "*:?:*:?:*"'), Like)


def test_canonical_text_parses_back_to_the_same_tree():
    text = (
        'forbid(principal is character, action in ["end"], resource == "scene:1") when { '
        '!(principal.level >= 1.5) || if resource has scene.owner then resource.scene.tags.containsAny(["a"]) '
        'else principal.id like "c:*" && principal.id in resource.scene.participants && 1.0 != -2 };'
    )
    tree = parse_policy(text)
    assert parse_policy(format_policy(tree)) == tree
