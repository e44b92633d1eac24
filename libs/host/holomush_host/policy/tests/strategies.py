"""Hypothesis strategies for policy trees, texts and attribute bags."""

from __future__ import annotations

from hypothesis import strategies as st

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
    ResourceType,
    Root,
    Target,
)
from holomush_host.policy.evaluator import AttributeBags
from holomush_host.policy.parser import RESERVED_WORDS, validate_like_pattern

#: A small vocabulary, so that generated references often hit generated bag keys.
SEGMENTS = ("a", "b", "id", "name", "scene", "tags")

words = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_-]{0,6}", fullmatch=True).filter(
    lambda w: w not in RESERVED_WORDS
)
segments = st.one_of(st.sampled_from(SEGMENTS), words)
paths = st.lists(segments, min_size=1, max_size=3).map(tuple)
quoted_text = st.text(st.characters(codec="utf-8", exclude_characters='"'), max_size=8)
scalar_values = st.one_of(
    quoted_text,
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
literals = scalar_values.map(Literal)
references = st.builds(AttributeRef, st.sampled_from(Root), paths)
expressions = st.one_of(references, literals)
literal_lists = st.lists(literals, min_size=1, max_size=3).map(tuple)
string_literal_lists = st.lists(quoted_text.map(Literal), min_size=1, max_size=3).map(tuple)
like_patterns = st.text(st.sampled_from("ab:*?-"), max_size=12).filter(
    lambda p: validate_like_pattern(p) is None
)

leaves: st.SearchStrategy[Condition] = st.one_of(
    st.builds(BoolConst, st.booleans()),
    st.builds(Compare, expressions, st.sampled_from(CompareOp), expressions),
    st.builds(InList, expressions, literal_lists),
    st.builds(InExpr, expressions, references),
    st.builds(Like, expressions, like_patterns),
    st.builds(Has, st.sampled_from(Root), paths),
    st.builds(Contains, references, st.sampled_from(ContainsMode), string_literal_lists),
)


def _extend(inner: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
    operands = st.lists(inner, min_size=2, max_size=3).map(tuple)
    return st.one_of(
        st.builds(Not, inner),
        st.builds(And, operands),
        st.builds(Or, operands),
        st.builds(IfThenElse, inner, inner, inner),
    )


conditions = st.recursive(leaves, _extend, max_leaves=6)
resources = st.one_of(
    st.none(),
    st.builds(ResourceType, words),
    st.builds(
        lambda t, i: ResourceExact(f"{t}:{i}"),
        st.sampled_from(["scene", "command"]),
        st.sampled_from(["1", "x"]),
    ),
)
targets = st.builds(
    Target,
    st.one_of(st.none(), st.sampled_from(["character", "plugin"])),
    st.lists(st.sampled_from(["read", "write", "end"]), max_size=2, unique=True).map(tuple),
    resources,
)
policies = st.builds(PolicyAst, st.sampled_from(Effect), targets, st.one_of(st.none(), conditions))

attribute_values = st.one_of(scalar_values, st.lists(scalar_values, max_size=3).map(tuple))
bag_keys = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=2).map(".".join)
bags_dicts = st.dictionaries(bag_keys, attribute_values, max_size=6)
attribute_bags = st.builds(
    AttributeBags, bags_dicts, st.one_of(st.none(), bags_dicts), bags_dicts, bags_dicts
)
