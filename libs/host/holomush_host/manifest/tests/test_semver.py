"""Strict versions and the constraint syntax used by ``engine`` and ``dependencies``."""

from __future__ import annotations

import pytest

from holomush_host.manifest.semver import (
    ConstraintError,
    Version,
    VersionError,
    parse_constraint,
    parse_version,
)


@pytest.mark.parametrize(
    "text",
    [
        "0.0.0",
        "1.0.0",
        "10.20.30",
        "1.0.0-alpha.1",
        "1.0.0-0.3.7",
        "1.0.0+build.1",
        "1.0.0-rc.1+b.2",
    ],
)
def test_strict_versions_parse(text: str):
    assert str(parse_version(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "v1.0.0",
        "1",
        "1.0",
        "01.0.0",
        "1.00.0",
        "1.0.0-",
        "1.0.0-01",
        "1.0.0+",
        "1.0.0.0",
        " 1.0.0",
        "\uff11.0.0",
        "",
    ],
)
def test_loose_versions_are_rejected(text: str):
    with pytest.raises(VersionError):
        parse_version(text)


def test_precedence_follows_semver():
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0",
    ]
    versions = [parse_version(v) for v in ordered]
    assert sorted(reversed(versions)) == versions
    assert parse_version("1.0.0+a") == parse_version("1.0.0+b")
    assert Version(1, 0, 0) == parse_version("1.0.0")


@pytest.mark.parametrize(
    ("constraint", "allowed", "refused"),
    [
        ("*", ["0.0.1", "9.9.9"], ["1.0.0-alpha"]),
        ("1.2.3", ["1.2.3"], ["1.2.4"]),
        ("=1.2", ["1.2.0", "1.2.9"], ["1.3.0"]),
        ("1.x", ["1.0.0", "1.9.9"], ["2.0.0"]),
        ("!=1.2.3", ["1.2.4"], ["1.2.3"]),
        (">1.2.3", ["1.2.4"], ["1.2.3"]),
        (">1.2", ["1.3.0"], ["1.2.9"]),
        (">=1.2.3", ["1.2.3", "2.0.0"], ["1.2.2"]),
        ("<1.2.3", ["1.2.2"], ["1.2.3"]),
        ("<=1.2", ["1.2.9"], ["1.3.0"]),
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0"]),
        ("~1", ["1.0.0", "1.9.0"], ["2.0.0"]),
        ("~>1.2", ["1.2.0", "1.2.5"], ["1.3.0"]),
        ("^1.2.3", ["1.2.3", "1.9.9"], ["2.0.0", "1.2.2"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4"]),
        ("^0", ["0.9.9"], ["1.0.0"]),
        (">= 1.2, < 2.0.0", ["1.5.0"], ["2.0.0", "1.1.0"]),
        (">=1.2 <2", ["1.5.0"], ["2.0.0"]),
        ("1.2 - 1.4.5", ["1.2.0", "1.4.5"], ["1.4.6", "1.1.9"]),
        ("^1.0.0 || ^3.0.0", ["1.5.0", "3.1.0"], ["2.0.0"]),
        (">=1.0.0-alpha", ["1.0.0-beta", "1.0.0"], []),
        ("v1.2.3", ["1.2.3"], []),
    ],
)
def test_constraints_allow_and_refuse(constraint: str, allowed: list[str], refused: list[str]):
    parsed = parse_constraint(constraint)
    for version in allowed:
        assert parsed.allows(parse_version(version)), version
    for version in refused:
        assert not parsed.allows(parse_version(version)), version


@pytest.mark.parametrize(
    "text", ["", "   ", "banana", ">= ", "1.x.3", "^1.2.3 ||", "1..2", ">>1", "x" * 300]
)
def test_bad_constraints_are_rejected(text: str):
    with pytest.raises(ConstraintError):
        parse_constraint(text)
