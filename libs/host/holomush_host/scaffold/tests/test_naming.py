from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from holomush_host.manifest.parse import parse_manifest
from holomush_host.manifest.vocabulary import COMMAND_NAME_PATTERN, NAME_PATTERN
from holomush_host.scaffold import ScaffoldError, plugin_names
from holomush_host.scaffold.render import PluginSpec, render_plugin


def test_derives_every_name_from_the_manifest_name() -> None:
    names = plugin_names("hello-world")
    assert names.plugin == "hello-world"
    assert names.package == "hello_world"
    assert names.class_name == "HelloWorldPlugin"
    assert names.command == "hello-world"
    assert names.error_code_prefix == "HELLO_WORLD"


def test_a_long_name_gets_a_command_within_the_command_limit() -> None:
    names = plugin_names("a-very-long-plugin-name-for-testing")
    assert names.command == "a-very-long-plugin-n"
    assert plugin_names("abcdefghijklmnopqrs-tuv").command == "abcdefghijklmnopqrs"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Hello", 'invalid plugin name "Hello": name must start with a-z'),
        ("hello_world", 'invalid plugin name "hello_world": name must start with a-z'),
        ("-hello", 'invalid plugin name "-hello"'),
        ("hello-", 'invalid plugin name "hello-"'),
        ("hello--world", 'invalid plugin name "hello--world"'),
        ("9lives", 'invalid plugin name "9lives"'),
        ("", 'invalid plugin name ""'),
        ("a" * 65, "it has 65 characters; the limit is 64"),
        ("class", "'class' is a Python keyword"),
        ("json", "a package named 'json' would shadow the module 'json'"),
        ("grpc", "a package named 'grpc' would shadow"),
        ("holomush-sdk", "a package named 'holomush_sdk' would shadow"),
    ],
)
def test_refuses_bad_names_with_a_specific_message(name: str, message: str) -> None:
    with pytest.raises(ScaffoldError, match=re.escape(message)):
        plugin_names(name)


valid_names = st.from_regex(NAME_PATTERN, fullmatch=True).filter(lambda name: len(name) <= 64)


@settings(max_examples=60, deadline=None)
@given(name=valid_names, postgres=st.booleans())
def test_every_accepted_name_yields_a_manifest_the_host_loads(name: str, postgres: bool) -> None:
    try:
        names = plugin_names(name)
    except ScaffoldError:
        return  # a keyword or a shadowing package: refused up front, never generated
    assert names.package.isidentifier()
    assert COMMAND_NAME_PATTERN.fullmatch(names.command)
    spec = PluginSpec(names, "postgres" if postgres else "none", (), f"plugins/{names.package}")
    files = render_plugin(spec)
    manifest = parse_manifest(
        next(text for path, text in files.items() if path.name == "plugin.yaml")
    )
    assert manifest.name == name
    assert [command.name for command in manifest.commands] == [names.command]
    for path, text in files.items():
        if path.suffix == ".py":
            compile(text, str(path), "exec")
