"""Typed syntax tree of the ABAC policy DSL (reference §4.11), and its canonical text form."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias


class Effect(enum.Enum):
    PERMIT = "permit"
    FORBID = "forbid"


class Root(enum.Enum):
    """The four attribute bags a reference can start from."""

    PRINCIPAL = "principal"
    RESOURCE = "resource"
    ACTION = "action"
    ENV = "env"


class CompareOp(enum.Enum):
    EQ = "=="
    NE = "!="
    GE = ">="
    LE = "<="
    GT = ">"
    LT = "<"


class ContainsMode(enum.Enum):
    ALL = "containsAll"
    ANY = "containsAny"


Scalar: TypeAlias = str | int | float | bool


@dataclass(frozen=True)
class Literal:
    value: Scalar


@dataclass(frozen=True)
class AttributeRef:
    root: Root
    #: At least one segment; the bag key is the segments joined with ``.``.
    path: tuple[str, ...]

    @property
    def key(self) -> str:
        return ".".join(self.path)

    def __str__(self) -> str:
        return ".".join((self.root.value, *self.path))


Expr: TypeAlias = AttributeRef | Literal


@dataclass(frozen=True)
class BoolConst:
    value: bool


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class And:
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class IfThenElse:
    condition: Condition
    then: Condition
    otherwise: Condition


@dataclass(frozen=True)
class Has:
    root: Root
    path: tuple[str, ...]

    @property
    def key(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Contains:
    attribute: AttributeRef
    mode: ContainsMode
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class Like:
    subject: Expr
    pattern: str


@dataclass(frozen=True)
class InList:
    subject: Expr
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class InExpr:
    subject: Expr
    container: AttributeRef


@dataclass(frozen=True)
class Compare:
    left: Expr
    op: CompareOp
    right: Expr


Condition: TypeAlias = (
    BoolConst | Not | And | Or | IfThenElse | Has | Contains | Like | InList | InExpr | Compare
)


@dataclass(frozen=True)
class ResourceType:
    name: str


@dataclass(frozen=True)
class ResourceExact:
    """``resource == "type:id"``."""

    value: str

    @property
    def type(self) -> str:
        return self.value.split(":", 1)[0]

    @property
    def id(self) -> str:
        return self.value.split(":", 1)[1]


ResourceTarget: TypeAlias = ResourceType | ResourceExact | None


@dataclass(frozen=True)
class Target:
    principal_type: str | None
    #: Empty means any action.
    actions: tuple[str, ...]
    resource: ResourceTarget

    @property
    def resource_type(self) -> str | None:
        if self.resource is None:
            return None
        return self.resource.name if isinstance(self.resource, ResourceType) else self.resource.type


@dataclass(frozen=True)
class PolicyAst:
    effect: Effect
    target: Target
    #: ``None`` when the policy has no ``when`` block (always satisfied).
    condition: Condition | None


def iter_conditions(condition: Condition | None) -> Iterator[Condition]:
    """Every condition node, depth first."""
    stack: list[Condition] = [] if condition is None else [condition]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Not):
            stack.append(node.operand)
        elif isinstance(node, And | Or):
            stack.extend(reversed(node.operands))
        elif isinstance(node, IfThenElse):
            stack.extend((node.otherwise, node.then, node.condition))


def iter_references(condition: Condition | None) -> Iterator[tuple[Root, tuple[str, ...]]]:
    """Every attribute path a condition reads, including ``has`` checks."""
    for node in iter_conditions(condition):
        if isinstance(node, Has):
            yield node.root, node.path
        elif isinstance(node, Contains):
            yield node.attribute.root, node.attribute.path
        elif isinstance(node, Like | InList):
            if isinstance(node.subject, AttributeRef):
                yield node.subject.root, node.subject.path
        elif isinstance(node, InExpr):
            if isinstance(node.subject, AttributeRef):
                yield node.subject.root, node.subject.path
            yield node.container.root, node.container.path
        elif isinstance(node, Compare):
            for side in (node.left, node.right):
                if isinstance(side, AttributeRef):
                    yield side.root, side.path


# --- canonical text -----------------------------------------------------------------


def format_literal(literal: Literal) -> str:
    value = literal.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        # Plain decimal notation: the lexer has no exponents.
        text = format(Decimal(repr(value)), "f")
        return text if "." in text else text + ".0"
    return str(value)


def _format_expr(expr: Expr) -> str:
    return str(expr) if isinstance(expr, AttributeRef) else format_literal(expr)


def _format_list(values: tuple[Literal, ...]) -> str:
    return "[" + ", ".join(format_literal(v) for v in values) + "]"


def format_condition(node: Condition) -> str:
    """Fully parenthesised text that parses back to the same tree."""
    if isinstance(node, BoolConst):
        return "true" if node.value else "false"
    if isinstance(node, Not):
        return f"!({format_condition(node.operand)})"
    if isinstance(node, And | Or):
        joiner = " && " if isinstance(node, And) else " || "
        return joiner.join(f"({format_condition(o)})" for o in node.operands)
    if isinstance(node, IfThenElse):
        return (
            f"if ({format_condition(node.condition)}) then ({format_condition(node.then)}) "
            f"else ({format_condition(node.otherwise)})"
        )
    if isinstance(node, Has):
        return f"{node.root.value} has {node.key}"
    if isinstance(node, Contains):
        return f"{node.attribute}.{node.mode.value}({_format_list(node.values)})"
    if isinstance(node, Like):
        return f'{_format_expr(node.subject)} like "{node.pattern}"'
    if isinstance(node, InList):
        return f"{_format_expr(node.subject)} in {_format_list(node.values)}"
    if isinstance(node, InExpr):
        return f"{_format_expr(node.subject)} in {node.container}"
    return f"{_format_expr(node.left)} {node.op.value} {_format_expr(node.right)}"


def format_policy(policy: PolicyAst) -> str:
    target = policy.target
    principal = "principal" + (f" is {target.principal_type}" if target.principal_type else "")
    action = "action"
    if target.actions:
        action += " in [" + ", ".join(f'"{a}"' for a in target.actions) + "]"
    resource = "resource"
    if isinstance(target.resource, ResourceType):
        resource += f" is {target.resource.name}"
    elif isinstance(target.resource, ResourceExact):
        resource += f' == "{target.resource.value}"'
    text = f"{policy.effect.value}({principal}, {action}, {resource})"
    if policy.condition is not None:
        text += f" when {{ {format_condition(policy.condition)} }}"
    return text + ";"
