"""Property tests: any input gives a Manifest or a ManifestError, never anything else."""

from __future__ import annotations

import contextlib
import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from holomush_host.manifest import Manifest, ManifestError, parse_manifest
from holomush_host.manifest.parse import COMMAND_KEYS, TOP_LEVEL_KEYS
from holomush_host.manifest.semver import ConstraintError, parse_constraint, parse_version
from holomush_host.manifest.tests.helpers import dump

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(sorted(TOP_LEVEL_KEYS | COMMAND_KEYS)) | st.text(max_size=8),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=20,
)
documents = st.dictionaries(st.sampled_from(sorted(TOP_LEVEL_KEYS)), yaml_values, max_size=10)


def parse_or_error(source: str | bytes) -> Manifest | ManifestError:
    try:
        return parse_manifest(source, source_name="prop/plugin.yaml")
    except ManifestError as exc:
        error = exc
    assert error.problems, "a ManifestError always names at least one problem"
    assert str(error).startswith("invalid plugin manifest prop/plugin.yaml")
    return error


@PROPERTY_SETTINGS
@given(st.text(max_size=400))
def test_arbitrary_text(text: str):
    parse_or_error(text)


@PROPERTY_SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data: bytes):
    parse_or_error(data)


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.sampled_from([*"[]{}:-,&*!|>'\"#?%@` \n\t", "a", "1", "name", "---", "<<", "!!int"]),
        max_size=80,
    )
)
def test_yaml_punctuation_soup(parts: list[str]):
    parse_or_error("".join(parts))


@PROPERTY_SETTINGS
@given(documents)
def test_arbitrary_documents_with_real_keys(document: dict[str, object]):
    try:
        text = yaml.safe_dump(document)
    except yaml.YAMLError:
        return
    parse_or_error(text)


names = st.from_regex(r"[a-z](-?[a-z0-9]){0,20}", fullmatch=True)
command_names = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_!?@#$%^+\-]{0,19}", fullmatch=True)
versions = st.builds(
    lambda a, b, c: f"{a}.{b}.{c}", st.integers(0, 999), st.integers(0, 999), st.integers(0, 999)
)


@PROPERTY_SETTINGS
@given(
    names,
    versions,
    st.lists(command_names, max_size=5, unique_by=str.lower),
    st.lists(names, max_size=3, unique=True),
)
def test_valid_manifests_parse_and_keep_their_fields(
    name: str, version: str, commands: list[str], emits: list[str]
):
    document = {
        "name": name,
        "version": version,
        "type": "binary",
        "binary-plugin": {"executable": "bin"},
        "emits": emits,
        "commands": [{"name": command} for command in commands],
    }
    manifest = parse_manifest(dump(document))
    assert manifest.name == name
    assert parse_version(manifest.version) == parse_version(version)
    assert [c.name for c in manifest.commands] == commands
    assert list(manifest.emits) == emits


@PROPERTY_SETTINGS
@given(st.text(alphabet=string.printable, max_size=40))
def test_constraint_parser_only_raises_its_own_error(text: str):
    with contextlib.suppress(ConstraintError):
        parse_constraint(text)
