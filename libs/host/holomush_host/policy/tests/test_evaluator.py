"""Evaluator semantics: every operator, missing attributes, type errors, Kleene logic."""

from __future__ import annotations

import pytest

from holomush_host.policy import AttributeBags, evaluate_condition, parse_policy
from holomush_host.policy.evaluator import Unknown, UnknownKind

BAGS = AttributeBags(
    principal={
        "id": "alice",
        "character.level": 5,
        "character.score": 2.5,
        "character.name": "Alice",
        "character.admin": False,
        "character.roles": ("player", "builder"),
    },
    resource={
        "id": "scene-1",
        "scene.owner": "alice",
        "scene.state": "active",
        "scene.participants": ("alice", "bob"),
        "scene.tags": ("horror", "mystery"),
        "scene.limit": 10,
        "scene.path": "location:01:ic",
    },
    action={"name": "end"},
    env={"hour": 13},
)


def run(condition: str, bags: AttributeBags = BAGS):
    policy = parse_policy(f"permit(principal, action, resource) when {{ {condition} }};")
    return evaluate_condition(policy.condition, bags)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("true", True),
        ("false", False),
        # comparisons: numbers, strings (lexicographic), booleans
        ("principal.character.level == 5", True),
        ("principal.character.level == 5.0", True),
        ("principal.character.level != 5", False),
        ("principal.character.level > 4", True),
        ("principal.character.level >= 5", True),
        ("principal.character.level < 5", False),
        ("principal.character.level <= 4.9", False),
        ("principal.character.score > 2", True),
        ('principal.character.name == "Alice"', True),
        ('principal.character.name < "Bob"', True),
        ('principal.character.name >= "alice"', False),
        ("principal.character.admin == false", True),
        ("principal.character.admin != true", True),
        ("resource.scene.owner == principal.id", True),
        ('action.name == "end"', True),
        ("env.hour >= 12", True),
        # in a literal list (numbers compare across int/float, never with strings or bools)
        ('resource.scene.state in ["active", "paused"]', True),
        ('resource.scene.state in ["ended"]', False),
        ("resource.scene.limit in [10.0, 20]", True),
        ('resource.scene.limit in ["10"]', False),
        ("principal.character.admin in [0]", False),
        # in an attribute list
        ("principal.id in resource.scene.participants", True),
        ('"carol" in resource.scene.participants', False),
        # like: glob with ':' as separator
        ('resource.scene.path like "location:*:ic"', True),
        ('resource.scene.path like "location:*"', False),
        ('resource.scene.path like "location:0?:*"', True),
        ('resource.id like "scene-*"', True),
        # has
        ("resource has scene.owner", True),
        ("resource has scene.archived", False),
        ("principal has id", True),
        # containsAll / containsAny
        ('resource.scene.tags.containsAll(["horror", "mystery"])', True),
        ('resource.scene.tags.containsAll(["horror", "comedy"])', False),
        ('resource.scene.tags.containsAny(["comedy", "horror"])', True),
        ('resource.scene.tags.containsAny(["comedy"])', False),
        # logic
        ("!false", True),
        ("true && false", False),
        ("false || true", True),
        ("if true then true else false", True),
        ("if false then true else false", False),
        # Kleene logic keeps guards safe around missing attributes
        ("resource has scene.archived && resource.scene.archived == true", False),
        ("resource.scene.archived == true && false", False),
        ("resource.scene.archived == true || true", True),
        ("if resource.scene.archived == true then true else true", True),
    ],
)
def test_operator_semantics(condition: str, expected: bool):
    assert run(condition) is expected


@pytest.mark.parametrize(
    ("condition", "detail"),
    [
        ("resource.scene.archived == true", "missing attribute resource.scene.archived"),
        ("!(resource.scene.archived == true)", "missing attribute resource.scene.archived"),
        ("resource.scene.archived == true || false", "missing attribute resource.scene.archived"),
        ('principal.nope in ["a"]', "missing attribute principal.nope"),
        ("principal.id in principal.nope", "missing attribute principal.nope"),
        ('principal.nope like "a*"', "missing attribute principal.nope"),
        ('principal.nope.containsAny(["a"])', "missing attribute principal.nope"),
        (
            'principal.character.level == "5"',
            "cannot compare a number with a string (principal.character.level == '5')",
        ),
        (
            "principal.character.admin < true",
            "booleans can only be compared with == or != (principal.character.admin < True)",
        ),
        (
            "resource.scene.tags == resource.scene.tags",
            "cannot compare a list with a list (resource.scene.tags == resource.scene.tags)",
        ),
        ("principal.id in resource.scene.owner", "resource.scene.owner is not a list"),
        (
            'resource.scene.tags in ["a"]',
            "resource.scene.tags is a list and cannot be looked up in a list",
        ),
        (
            'resource.scene.limit like "1*"',
            "resource.scene.limit is not a string, so 'like' cannot match it",
        ),
        (
            'resource.scene.owner.containsAll(["a"])',
            "resource.scene.owner is not a list, so containsAll cannot test it",
        ),
        (
            'resource.scene.limit == 10 && principal.id.containsAny(["a"])',
            "principal.id is not a list, so containsAny cannot test it",
        ),
    ],
)
def test_missing_attributes_and_type_errors_are_errors_not_false(condition: str, detail: str):
    outcome = run(condition)
    assert outcome == Unknown(UnknownKind.ERROR, detail)


def test_resource_references_are_deferred_without_a_resource():
    bags = AttributeBags(BAGS.principal, None, BAGS.action, BAGS.env)
    assert isinstance(run("principal.id in resource.scene.participants", bags), Unknown)
    assert run("principal.id in resource.scene.participants", bags).kind is UnknownKind.DEFERRED
    assert run("resource has scene.owner", bags).kind is UnknownKind.DEFERRED
    # a definite false elsewhere decides without the resource
    assert (
        run("principal.character.level > 10 && resource.scene.owner == principal.id", bags) is False
    )
    # an error outranks a deferral, so it is never waved through optimistically
    outcome = run("principal.nope == 1 && resource.scene.owner == principal.id", bags)
    assert outcome == Unknown(UnknownKind.ERROR, "missing attribute principal.nope")


def test_no_condition_is_satisfied():
    assert (
        evaluate_condition(parse_policy("permit(principal, action, resource);").condition, BAGS)
        is True
    )
