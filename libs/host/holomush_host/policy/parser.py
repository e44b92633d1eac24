"""Recursive-descent parser of the policy DSL (reference §4.11 grammar and post-parse checks).

Deviation from the reference, on purpose: the closing ``;`` may be left out (each manifest
policy holds exactly one statement, and the reference's own documentation writes it
without one). Everything else the grammar allows is accepted, and some mistakes the
reference only finds at evaluation (a malformed ``like`` pattern, ``in`` with a literal on
the right, an exact resource without ``type:id``) are syntax errors here.
"""

from __future__ import annotations

from typing import Final

from holomush_host.policy.ast import (
    And,
    AttributeRef,
    BoolConst,
    Compare,
    CompareOp,
    Condition,
    Contains,
    ContainsMode,
    Effect,
    Expr,
    Has,
    IfThenElse,
    InExpr,
    InList,
    Like,
    Literal,
    Not,
    Or,
    PolicyAst,
    ResourceExact,
    ResourceTarget,
    ResourceType,
    Root,
    Scalar,
    Target,
)
from holomush_host.policy.errors import PolicySyntaxError
from holomush_host.policy.lexer import Token, TokenKind, tokenize

__all__ = ["MAX_NESTING", "RESERVED_WORDS", "PolicySyntaxError", "parse_policy"]

MAX_NESTING: Final = 32
RESERVED_WORDS: Final = frozenset(
    {
        "permit",
        "forbid",
        "when",
        "principal",
        "resource",
        "action",
        "env",
        "is",
        "in",
        "has",
        "like",
        "true",
        "false",
        "if",
        "then",
        "else",
        "containsAll",
        "containsAny",
    }
)
LIKE_MAX_LENGTH: Final = 100
LIKE_MAX_WILDCARDS: Final = 5
_ROOTS: Final = {root.value: root for root in Root}
_COMPARE_OPS: Final = {op.value: op for op in CompareOp}
_CONTAINS: Final = {mode.value: mode for mode in ContainsMode}
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def parse_policy(text: str) -> PolicyAst:
    """Parse one policy statement, or raise :class:`PolicySyntaxError` with its position."""
    return _Parser(tokenize(text)).policy()


def validate_like_pattern(pattern: str) -> str | None:
    """Why a ``like`` pattern is unusable, or ``None`` when it is fine."""
    if len(pattern) > LIKE_MAX_LENGTH:
        return f"like pattern is longer than {LIKE_MAX_LENGTH} characters"
    if sum(pattern.count(ch) for ch in "*?") > LIKE_MAX_WILDCARDS:
        return f"like pattern has more than {LIKE_MAX_WILDCARDS} wildcards ('*' or '?')"
    if "**" in pattern:
        return "like pattern must not contain '**'"
    if "[" in pattern or "{" in pattern:
        return "like pattern must not contain '[' or '{'"
    return None


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    # --- token helpers ---------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        if token.kind is not TokenKind.EOF:
            self.index += 1
        return token

    def at_word(self, word: str) -> bool:
        token = self.peek()
        return token.kind is TokenKind.IDENT and token.text == word

    def at_symbol(self, symbol: str) -> bool:
        token = self.peek()
        return token.kind in (TokenKind.OPERATOR, TokenKind.PUNCT) and token.text == symbol

    def error(self, message: str, token: Token | None = None) -> PolicySyntaxError:
        token = token or self.peek()
        return PolicySyntaxError(f"{message}, found {token.describe()}", token.position)

    def expect_word(self, word: str, context: str = "") -> Token:
        if not self.at_word(word):
            raise self.error(f"expected '{word}'{context}")
        return self.advance()

    def expect_symbol(self, symbol: str, context: str = "") -> Token:
        if not self.at_symbol(symbol):
            raise self.error(f"expected '{symbol}'{context}")
        return self.advance()

    def expect_name(self, what: str) -> str:
        token = self.peek()
        if token.kind is not TokenKind.IDENT:
            raise self.error(f"expected {what}")
        if token.text in RESERVED_WORDS:
            raise PolicySyntaxError(
                f"'{token.text}' is a reserved word and cannot be used as {what}", token.position
            )
        return self.advance().text

    def expect_string(self, what: str) -> str:
        if self.peek().kind is not TokenKind.STRING:
            raise self.error(f"expected {what} (a double-quoted string)")
        return self.advance().text

    # --- policy and target -----------------------------------------------------------

    def policy(self) -> PolicyAst:
        token = self.peek()
        if not (token.kind is TokenKind.IDENT and token.text in ("permit", "forbid")):
            raise self.error("expected 'permit' or 'forbid'")
        effect = Effect(self.advance().text)
        self.expect_symbol("(", f" after '{effect.value}'")
        target = self.target()
        self.expect_symbol(")", " to close the policy target")
        condition: Condition | None = None
        if self.at_word("when"):
            self.advance()
            self.expect_symbol("{", " after 'when'")
            condition = self.disjunction(1)
            self.expect_symbol("}", " to close the 'when' block")
        if self.at_symbol(";"):
            self.advance()
        if self.peek().kind is not TokenKind.EOF:
            raise self.error("expected the end of the policy (one statement per policy)")
        return PolicyAst(effect, target, condition)

    def target(self) -> Target:
        self.expect_word("principal", " as the first part of the target")
        principal_type = None
        if self.at_word("is"):
            self.advance()
            principal_type = self.expect_name("a principal type after 'is'")
        self.expect_symbol(",", " after the principal")
        self.expect_word("action", " as the second part of the target")
        actions: tuple[str, ...] = ()
        if self.at_word("in"):
            self.advance()
            actions = self.action_list()
        self.expect_symbol(",", " after the action")
        self.expect_word("resource", " as the third part of the target")
        return Target(principal_type, actions, self.resource_target())

    def action_list(self) -> tuple[str, ...]:
        self.expect_symbol("[", " after 'action in'")
        actions = []
        while True:
            token = self.peek()
            action = self.expect_string("an action name")
            if not action.strip():
                raise PolicySyntaxError("action names must not be empty", token.position)
            actions.append(action)
            if not self.at_symbol(","):
                break
            self.advance()
        self.expect_symbol("]", " to close the action list")
        return tuple(actions)

    def resource_target(self) -> ResourceTarget:
        if self.at_word("is"):
            self.advance()
            return ResourceType(self.expect_name("a resource type after 'is'"))
        if self.at_symbol("=="):
            self.advance()
            token = self.peek()
            value = self.expect_string("a resource such as \"command:scene\" after '=='")
            kind, _, ident = value.partition(":")
            if not kind or not ident:
                raise PolicySyntaxError(
                    f'exact resource "{value}" must have the form "type:id"', token.position
                )
            return ResourceExact(value)
        return None

    # --- conditions ------------------------------------------------------------------

    def disjunction(self, depth: int) -> Condition:
        operands = [self.conjunction(depth)]
        while self.at_symbol("||"):
            self.advance()
            operands.append(self.conjunction(depth))
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def conjunction(self, depth: int) -> Condition:
        operands = [self.condition(depth)]
        while self.at_symbol("&&"):
            self.advance()
            operands.append(self.condition(depth))
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def condition(self, depth: int) -> Condition:
        token = self.peek()
        if depth > MAX_NESTING:
            raise PolicySyntaxError(
                f"conditions are nested more than {MAX_NESTING} levels deep", token.position
            )
        if self.at_symbol("!"):
            self.advance()
            return Not(self.condition(depth + 1))
        if self.at_symbol("("):
            self.advance()
            inner = self.disjunction(depth + 1)
            self.expect_symbol(")", " to close '('")
            return inner
        if self.at_word("if"):
            self.advance()
            test = self.condition(depth + 1)
            self.expect_word("then", " after the 'if' condition")
            then = self.condition(depth + 1)
            self.expect_word("else", " after the 'then' branch")
            return IfThenElse(test, then, self.condition(depth + 1))
        if token.kind is TokenKind.IDENT and token.text in _ROOTS:
            return self.attribute_condition()
        if (
            token.kind in (TokenKind.STRING, TokenKind.NUMBER)
            or self.at_word("true")
            or self.at_word("false")
        ):
            literal = self.literal()
            if self.at_operator():
                return self.binary_rest(literal)
            if isinstance(literal.value, bool):
                return BoolConst(literal.value)
            raise self.error("expected a comparison operator, 'in' or 'like' after the literal")
        raise self.error("expected a condition")

    def at_operator(self) -> bool:
        token = self.peek()
        if token.kind is TokenKind.OPERATOR and token.text in _COMPARE_OPS:
            return True
        return self.at_word("in") or self.at_word("like")

    def attribute_condition(self) -> Condition:
        root_token = self.advance()
        root = _ROOTS[root_token.text]
        if self.at_word("has"):
            self.advance()
            return Has(root, self.name_path())
        segments: list[str] = []
        while self.at_symbol("."):
            self.advance()
            token = self.peek()
            if token.kind is TokenKind.IDENT and token.text in _CONTAINS:
                if not segments:
                    raise PolicySyntaxError(
                        f"{token.text} needs an attribute path, as in {root.value}.tags.{token.text}([...])",
                        token.position,
                    )
                self.advance()
                self.expect_symbol("(", f" after '{token.text}'")
                list_token = self.peek()
                values = self.literal_list()
                if not all(isinstance(v.value, str) for v in values):
                    raise PolicySyntaxError(
                        f"{token.text} takes a list of strings", list_token.position
                    )
                self.expect_symbol(")", f" to close '{token.text}('")
                return Contains(AttributeRef(root, tuple(segments)), _CONTAINS[token.text], values)
            segments.append(self.expect_name("an attribute name"))
        if not segments:
            raise self.error(f"expected '.' and an attribute name or 'has' after '{root.value}'")
        return self.binary_rest(AttributeRef(root, tuple(segments)))

    def name_path(self) -> tuple[str, ...]:
        names = [self.expect_name("an attribute name after 'has'")]
        while self.at_symbol("."):
            self.advance()
            names.append(self.expect_name("an attribute name"))
        return tuple(names)

    def binary_rest(self, left: Expr) -> Condition:
        token = self.peek()
        if self.at_word("like"):
            self.advance()
            pattern_token = self.peek()
            pattern = self.expect_string("a pattern after 'like'")
            problem = validate_like_pattern(pattern)
            if problem is not None:
                raise PolicySyntaxError(problem, pattern_token.position)
            return Like(left, pattern)
        if self.at_word("in"):
            self.advance()
            if self.at_symbol("["):
                return InList(left, self.literal_list())
            right_token = self.peek()
            right = self.expression()
            if not isinstance(right, AttributeRef):
                raise PolicySyntaxError(
                    "the right side of 'in' must be a list or an attribute", right_token.position
                )
            return InExpr(left, right)
        if token.kind is TokenKind.OPERATOR and token.text in _COMPARE_OPS:
            self.advance()
            return Compare(left, _COMPARE_OPS[token.text], self.expression())
        raise self.error("expected a comparison operator, 'in' or 'like'")

    # --- expressions -----------------------------------------------------------------

    def expression(self) -> Expr:
        token = self.peek()
        if token.kind is TokenKind.IDENT and token.text in _ROOTS:
            self.advance()
            segments = []
            while self.at_symbol("."):
                self.advance()
                segments.append(self.expect_name("an attribute name"))
            if not segments:
                raise self.error(f"expected '.' and an attribute name after '{token.text}'")
            return AttributeRef(_ROOTS[token.text], tuple(segments))
        return self.literal()

    def literal(self) -> Literal:
        token = self.peek()
        if token.kind is TokenKind.STRING:
            self.advance()
            return Literal(token.text)
        if token.kind is TokenKind.NUMBER:
            self.advance()
            return Literal(_number(token))
        if self.at_word("true") or self.at_word("false"):
            self.advance()
            return Literal(token.text == "true")
        raise self.error("expected an attribute or a value (string, number, true or false)")

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect_symbol("[", " to start a list")
        if self.at_symbol("]"):
            raise self.error("a list needs at least one value")
        values = [self.literal()]
        while self.at_symbol(","):
            self.advance()
            values.append(self.literal())
        self.expect_symbol("]", " to close the list")
        return tuple(values)


def _number(token: Token) -> Scalar:
    text = token.text
    if "." not in text:
        digits = text.lstrip("-")
        if len(digits) <= 19:
            value = int(text)
            if _INT64_MIN <= value <= _INT64_MAX:
                return value
        raise PolicySyntaxError(f"number {text} is out of range", token.position)
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise PolicySyntaxError(f"number {text} is out of range", token.position)
    return number
