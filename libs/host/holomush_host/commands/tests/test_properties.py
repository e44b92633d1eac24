"""Property tests: the line parser and the registry only ever raise CommandError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from holomush_host.commands import (
    MAX_ARGS_LENGTH,
    CommandError,
    CommandRegistry,
    parse_command_line,
)
from holomush_host.manifest import parse_manifest
from holomush_host.manifest.tests.helpers import CORE_SCENES_MANIFEST

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)

REGISTRY = CommandRegistry()
REGISTRY.register_builtin("look", aliases=["l"])
REGISTRY.register_plugin(parse_manifest(CORE_SCENES_MANIFEST))

lines = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda word, sep, rest: word + sep + rest,
        st.sampled_from(["scene", "SCENE", "l", "look", "scenes", "nope", ""]),
        st.sampled_from(["", " ", "\t", "  \t "]),
        st.text(max_size=60),
    ),
)


@PROPERTY_SETTINGS
@given(lines)
def test_parser_splits_or_raises_its_own_error(line: str):
    try:
        parsed = parse_command_line(line)
    except CommandError:
        return
    assert parsed.word
    assert not any(ch in " \t" for ch in parsed.word)
    assert parsed.word == parsed.word.strip()
    assert len(parsed.args) <= MAX_ARGS_LENGTH
    assert not parsed.args.startswith((" ", "\t"))
    # the word and the arguments together are the trimmed line, minus the separator
    stripped = line.strip()
    assert stripped.startswith(parsed.word)
    assert stripped.endswith(parsed.args)


@PROPERTY_SETTINGS
@given(lines)
def test_registry_resolves_or_raises_its_own_error(line: str):
    try:
        resolved = REGISTRY.resolve(line)
    except CommandError as exc:
        error = exc
    else:
        assert resolved.entry.name in {"look", "scene", "scenes"}
        assert resolved.invoked_as == resolved.invoked_as.lower()
        return
    assert error.player_message
