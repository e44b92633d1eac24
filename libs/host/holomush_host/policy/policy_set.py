"""Compiled policies and the in-memory set the engine evaluates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from holomush_host.policy.ast import PolicyAst
from holomush_host.policy.parser import parse_policy


@dataclass(frozen=True)
class Policy:
    #: Unique installed name, e.g. ``plugin:core-scenes:end-own-scene``.
    name: str
    #: Who installed it, e.g. ``plugin:core-scenes`` or ``seed``; installs replace by source.
    source: str
    ast: PolicyAst
    text: str


def compile_policy(name: str, text: str, source: str) -> Policy:
    """Parse ``text`` into a policy (raises :class:`PolicySyntaxError`)."""
    return Policy(name, source, parse_policy(text), text)


class PolicySet:
    """All installed policies. Replacing a source's policies is all-or-nothing."""

    def __init__(self, policies: Iterable[Policy] = ()) -> None:
        self._by_source: dict[str, tuple[Policy, ...]] = {}
        self._snapshot: tuple[Policy, ...] = ()
        grouped: dict[str, list[Policy]] = {}
        for policy in policies:
            grouped.setdefault(policy.source, []).append(policy)
        for source, members in grouped.items():
            self.replace_source(source, members)

    def replace_source(self, source: str, policies: Iterable[Policy]) -> None:
        """Install ``policies`` as everything ``source`` has, dropping what it had before."""
        incoming = tuple(policies)
        for policy in incoming:
            if policy.source != source:
                raise ValueError(
                    f"policy {policy.name!r} belongs to {policy.source!r}, not {source!r}"
                )
        names = [policy.name for policy in incoming]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate policy names in {source!r}")
        taken = {p.name for s, ps in self._by_source.items() if s != source for p in ps}
        clash = sorted(taken.intersection(names))
        if clash:
            raise ValueError(
                f"policy names already installed by another source: {', '.join(clash)}"
            )
        if incoming:
            self._by_source[source] = incoming
        else:
            self._by_source.pop(source, None)
        self._snapshot = tuple(p for ps in self._by_source.values() for p in ps)

    def remove_source(self, source: str) -> None:
        self.replace_source(source, ())

    def policies(self) -> tuple[Policy, ...]:
        """An immutable snapshot, safe to evaluate while installs happen."""
        return self._snapshot

    def sources(self) -> frozenset[str]:
        return frozenset(self._by_source)
