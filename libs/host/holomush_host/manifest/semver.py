"""Strict semantic versions and the version-constraint syntax of manifests.

Versions follow semver.org 2.0.0 exactly (``1.0.0``, ``1.0.0-alpha.1``, ``1.0.0+build``;
never ``v1.0.0``, ``1`` or ``1.0``). Constraints use the syntax of the Go reference's
constraint library (Masterminds semver v3): comparators ``= != > < >= <= ~ ~> ^``, wildcards
``x X *``, partial versions, hyphen ranges ``1.2 - 1.4.5``, AND with commas or spaces and
OR with ``||``. A version with a pre-release only satisfies a comparator that itself
names a pre-release.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import total_ordering
from typing import Final

# The regular expression published on semver.org, restricted to ASCII digits.
_STRICT_SEMVER: Final = re.compile(
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)

# One comparator: an operator, then a possibly partial, possibly wildcarded version.
_COMPARATOR: Final = re.compile(
    r"^(?P<op>!=|>=|=>|<=|=<|~>|[=><~^])?\s*v?"
    r"(?P<major>[0-9]+|[xX*])(?:\.(?P<minor>[0-9]+|[xX*]))?(?:\.(?P<patch>[0-9]+|[xX*]))?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
_HYPHEN_RANGE: Final = re.compile(r"^(?P<low>\S+)\s+-\s+(?P<high>\S+)$")
_WILDCARDS: Final = frozenset({"x", "X", "*"})
_MAX_CONSTRAINT_LENGTH: Final = 256


class VersionError(ValueError):
    """A version string that is not strict semver."""


class ConstraintError(ValueError):
    """A version constraint that does not parse."""


def _prerelease_key(identifiers: tuple[str, ...]) -> tuple[tuple[int, int, str], ...]:
    # Numeric identifiers sort before alphanumeric ones, numerically among themselves.
    return tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in identifiers)


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: tuple[str, ...] = ()

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        # A release sorts after all of its pre-releases; build metadata never counts.
        return (
            self.major,
            self.minor,
            self.patch,
            0 if self.prerelease else 1,
            _prerelease_key(self.prerelease),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text


def parse_version(text: str) -> Version:
    """Parse a strict semver string, or raise :class:`VersionError`."""
    match = _STRICT_SEMVER.fullmatch(text)
    if match is None:
        raise VersionError(f"{text!r} is not a strict semantic version (MAJOR.MINOR.PATCH)")
    major, minor, patch, pre, build = match.groups()
    return Version(
        int(major),
        int(minor),
        int(patch),
        tuple(pre.split(".")) if pre else (),
        tuple(build.split(".")) if build else (),
    )


@dataclass(frozen=True)
class _Partial:
    """A version in a constraint; ``None`` parts are wildcards or were left out."""

    major: int | None
    minor: int | None
    patch: int | None
    prerelease: tuple[str, ...]

    def floor(self) -> Version:
        return Version(self.major or 0, self.minor or 0, self.patch or 0, self.prerelease)

    def ceiling(self) -> Version | None:
        """Exclusive upper end of the range a partial version stands for."""
        if self.major is None:
            return None
        if self.minor is None:
            return Version(self.major + 1, 0, 0)
        if self.patch is None:
            return Version(self.major, self.minor + 1, 0)
        return None

    @property
    def exact(self) -> bool:
        return self.patch is not None


_Predicate = Callable[[Version], bool]


def _in_range(partial: _Partial) -> _Predicate:
    if partial.major is None:
        return lambda _v: True
    if partial.exact:
        target = partial.floor()
        return lambda v: v == target
    low, high = partial.floor(), partial.ceiling()
    assert high is not None
    return lambda v: low <= v < high


def _comparator_predicate(op: str, partial: _Partial) -> _Predicate:
    low = partial.floor()
    high = partial.ceiling()
    if op in ("", "="):
        return _in_range(partial)
    if op == "!=":
        inside = _in_range(partial)
        return lambda v: not inside(v)
    if op == ">":
        if partial.major is None:
            return lambda _v: False
        if partial.exact:
            return lambda v: v > low
        assert high is not None
        return lambda v: v >= high
    if op in (">=", "=>"):
        return lambda v: v >= low
    if op == "<":
        if partial.major is None:
            return lambda _v: False
        return lambda v: v < low
    if op in ("<=", "=<"):
        if partial.exact:
            return lambda v: v <= low
        if high is None:
            return lambda _v: True
        return lambda v: v < high
    if partial.major is None:  # ~ and ^ over a bare wildcard accept everything
        return lambda _v: True
    if op in ("~", "~>"):
        tilde_high = (
            Version(partial.major + 1, 0, 0)
            if partial.minor is None
            else Version(partial.major, partial.minor + 1, 0)
        )
        return lambda v: low <= v < tilde_high
    # op == "^": the left-most non-zero part may not change.
    if partial.major > 0 or partial.minor is None:
        caret_high = Version(partial.major + 1, 0, 0)
    elif partial.minor > 0 or partial.patch is None:
        caret_high = Version(0, partial.minor + 1, 0)
    else:
        caret_high = Version(0, 0, partial.patch + 1)
    return lambda v: low <= v < caret_high


def _parse_part(text: str | None, after_wildcard: bool, whole: str) -> int | None:
    if text is None or text in _WILDCARDS:
        return None
    if after_wildcard:
        raise ConstraintError(f"invalid version constraint {whole!r}: a wildcard must come last")
    return int(text)


@dataclass(frozen=True)
class _Comparator:
    text: str
    predicate: _Predicate
    has_prerelease: bool

    def check(self, version: Version) -> bool:
        if version.prerelease and not self.has_prerelease:
            return False
        return self.predicate(version)


def _parse_comparator(text: str, whole: str) -> _Comparator:
    match = _COMPARATOR.fullmatch(text)
    if match is None:
        raise ConstraintError(f"invalid version constraint {whole!r}: cannot parse {text!r}")
    major = _parse_part(match["major"], False, whole)
    minor = _parse_part(match["minor"], major is None, whole)
    patch = _parse_part(match["patch"], major is None or minor is None, whole)
    pre = tuple(match["pre"].split(".")) if match["pre"] else ()
    partial = _Partial(major, minor, patch, pre)
    return _Comparator(text, _comparator_predicate(match["op"] or "", partial), bool(pre))


def _split_and_group(group: str, whole: str) -> list[_Comparator]:
    group = group.strip()
    if not group:
        raise ConstraintError(f"invalid version constraint {whole!r}: empty alternative")
    hyphen = _HYPHEN_RANGE.fullmatch(group)
    if hyphen is not None:
        return [
            _parse_comparator(">=" + hyphen["low"], whole),
            _parse_comparator("<=" + hyphen["high"], whole),
        ]
    # Glue an operator separated from its version by spaces (">= 1.2") back together.
    normalized = re.sub(r"(!=|>=|=>|<=|=<|~>|[=><~^])\s+", r"\1", group)
    parts = [p for p in re.split(r"[\s,]+", normalized) if p]
    return [_parse_comparator(part, whole) for part in parts]


@dataclass(frozen=True)
class VersionConstraint:
    """A parsed constraint: OR of AND-groups of comparators."""

    text: str
    _groups: tuple[tuple[_Comparator, ...], ...]

    def allows(self, version: Version) -> bool:
        return any(all(c.check(version) for c in group) for group in self._groups)

    def __str__(self) -> str:
        return self.text


def parse_constraint(text: str) -> VersionConstraint:
    """Parse a version constraint, or raise :class:`ConstraintError`."""
    if not text.strip():
        raise ConstraintError("invalid version constraint '': it is empty")
    if len(text) > _MAX_CONSTRAINT_LENGTH:
        raise ConstraintError(
            f"invalid version constraint: longer than {_MAX_CONSTRAINT_LENGTH} characters"
        )
    groups = tuple(tuple(_split_and_group(g, text)) for g in text.split("||"))
    return VersionConstraint(text, groups)
