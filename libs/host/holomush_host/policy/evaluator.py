"""Evaluation of policy conditions over attribute bags (reference §4.11 semantics).

Three-valued, so that authorization fails closed: besides true and false a condition can
be *unknown*, either because an attribute is missing or a value has the wrong type
(``ERROR``) or because it needs the resource, which a type-level pre-flight does not have
(``DEFERRED``). ``&&``/``||`` follow Kleene logic, so ``resource has x && resource.x == 1``
stays a safe guard. The engine treats an unknown permit as not satisfied and an erroring
forbid as a deny. Deviation from the reference, on purpose: there a missing attribute is
*false*, so ``!`` of a missing attribute is *true* and a forbid guarded that way never fires.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, TypeAlias

from holomush_host.policy.ast import (
    And,
    AttributeRef,
    BoolConst,
    Compare,
    CompareOp,
    Condition,
    Contains,
    ContainsMode,
    Expr,
    Has,
    IfThenElse,
    InExpr,
    InList,
    Like,
    Literal,
    Not,
    Or,
    Root,
    Scalar,
)

AttributeValue: TypeAlias = Scalar | tuple[Scalar, ...]
Bag: TypeAlias = Mapping[str, AttributeValue]


class UnknownKind(enum.Enum):
    #: Needs resource attributes that a type-level check does not have.
    DEFERRED = "deferred"
    #: A missing attribute or a type error: the result cannot be trusted.
    ERROR = "error"


@dataclass(frozen=True)
class Unknown:
    kind: UnknownKind
    detail: str


Outcome: TypeAlias = bool | Unknown

# Applied only to two numbers or two strings (lexicographic order), never across types.
_OPERATORS: Final[dict[CompareOp, Callable[[Any, Any], bool]]] = {
    CompareOp.EQ: operator.eq,
    CompareOp.NE: operator.ne,
    CompareOp.GT: operator.gt,
    CompareOp.LT: operator.lt,
    CompareOp.GE: operator.ge,
    CompareOp.LE: operator.le,
}


@dataclass(frozen=True)
class AttributeBags:
    """The four bags; ``resource`` is ``None`` when only the resource *type* is known."""

    principal: Bag
    resource: Bag | None
    action: Bag
    env: Bag

    def bag(self, root: Root) -> Bag | None:
        if root is Root.PRINCIPAL:
            return self.principal
        if root is Root.RESOURCE:
            return self.resource
        if root is Root.ACTION:
            return self.action
        return self.env


def evaluate_condition(condition: Condition | None, bags: AttributeBags) -> Outcome:
    """Evaluate a ``when`` block; no block at all is satisfied."""
    if condition is None:
        return True
    return _evaluate(condition, bags)


def _worst(unknowns: Sequence[Unknown]) -> Unknown:
    # An error outranks a deferral: it must not be waved through optimistically.
    for unknown in unknowns:
        if unknown.kind is UnknownKind.ERROR:
            return unknown
    return unknowns[0]


def _evaluate(node: Condition, bags: AttributeBags) -> Outcome:
    if isinstance(node, BoolConst):
        return node.value
    if isinstance(node, Not):
        inner = _evaluate(node.operand, bags)
        return inner if isinstance(inner, Unknown) else not inner
    if isinstance(node, And | Or):
        decisive = isinstance(node, Or)  # the value that short-circuits
        unknowns: list[Unknown] = []
        for operand in node.operands:
            result = _evaluate(operand, bags)
            if isinstance(result, Unknown):
                unknowns.append(result)
            elif result is decisive:
                return decisive
        return _worst(unknowns) if unknowns else not decisive
    if isinstance(node, IfThenElse):
        test = _evaluate(node.condition, bags)
        if not isinstance(test, Unknown):
            return _evaluate(node.then if test else node.otherwise, bags)
        then, otherwise = _evaluate(node.then, bags), _evaluate(node.otherwise, bags)
        if isinstance(then, bool) and then == otherwise:
            return then
        return test
    if isinstance(node, Has):
        bag = bags.bag(node.root)
        if bag is None:
            return Unknown(UnknownKind.DEFERRED, f"{node.root.value} has {node.key}")
        return node.key in bag
    if isinstance(node, Compare):
        return _compare(node, bags)
    if isinstance(node, InList):
        subject = _value(node.subject, bags)
        if isinstance(subject, Unknown):
            return subject
        if isinstance(subject, tuple):
            return _error(f"{_show(node.subject)} is a list and cannot be looked up in a list")
        return any(_equal(subject, literal.value) for literal in node.values)
    if isinstance(node, InExpr):
        subject, container = _value(node.subject, bags), _value(node.container, bags)
        unknowns = [v for v in (subject, container) if isinstance(v, Unknown)]
        if unknowns:
            return _worst(unknowns)
        assert not isinstance(subject, Unknown)
        assert not isinstance(container, Unknown)
        if not isinstance(container, tuple):
            return _error(f"{node.container} is not a list")
        if isinstance(subject, tuple):
            return _error(f"{_show(node.subject)} is a list and cannot be looked up in a list")
        return any(_equal(subject, item) for item in container)
    if isinstance(node, Like):
        subject = _value(node.subject, bags)
        if isinstance(subject, Unknown):
            return subject
        if not isinstance(subject, str):
            return _error(f"{_show(node.subject)} is not a string, so 'like' cannot match it")
        return _glob(node.pattern).fullmatch(subject) is not None
    assert isinstance(node, Contains)
    return _contains(node, bags)


def _contains(node: Contains, bags: AttributeBags) -> Outcome:
    value = _value(node.attribute, bags)
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, tuple):
        return _error(f"{node.attribute} is not a list, so {node.mode.value} cannot test it")
    wanted = [literal.value for literal in node.values]
    hits = (any(_equal(item, w) for item in value) for w in wanted)
    return all(hits) if node.mode is ContainsMode.ALL else any(hits)


def _compare(node: Compare, bags: AttributeBags) -> Outcome:
    left, right = _value(node.left, bags), _value(node.right, bags)
    unknowns = [v for v in (left, right) if isinstance(v, Unknown)]
    if unknowns:
        return _worst(unknowns)
    assert not isinstance(left, Unknown)
    assert not isinstance(right, Unknown)
    op = node.op
    if (_is_number(left) and _is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    ):
        return _OPERATORS[op](left, right)
    if isinstance(left, bool) and isinstance(right, bool):
        if op is CompareOp.EQ:
            return left == right
        if op is CompareOp.NE:
            return left != right
        return _error(f"booleans can only be compared with == or != ({_describe(node)})")
    return _error(f"cannot compare {_kind(left)} with {_kind(right)} ({_describe(node)})")


def _value(expr: Expr, bags: AttributeBags) -> AttributeValue | Unknown:
    if isinstance(expr, Literal):
        return expr.value
    bag = bags.bag(expr.root)
    if bag is None:
        return Unknown(UnknownKind.DEFERRED, f"{expr} is only known for a specific resource")
    if expr.key not in bag:
        return _error(f"missing attribute {expr}")
    return bag[expr.key]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(left: AttributeValue, right: AttributeValue) -> bool:
    """Equality without cross-type surprises (``1 == 1.0`` holds; ``True == 1`` does not)."""
    if _is_number(left) and _is_number(right):
        return left == right
    return type(left) is type(right) and left == right


def _error(detail: str) -> Unknown:
    return Unknown(UnknownKind.ERROR, detail)


def _kind(value: AttributeValue) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, tuple):
        return "a list"
    return "a number"


def _show(expr: Expr) -> str:
    return str(expr) if isinstance(expr, AttributeRef) else repr(expr.value)


def _describe(node: Compare) -> str:
    return f"{_show(node.left)} {node.op.value} {_show(node.right)}"


@lru_cache(maxsize=512)
def _glob(pattern: str) -> re.Pattern[str]:
    """``*`` and ``?`` match within one ``:``-separated segment, like the reference's glob."""
    parts = []
    for char in pattern:
        if char == "*":
            parts.append("[^:]*")
        elif char == "?":
            parts.append("[^:]")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)
