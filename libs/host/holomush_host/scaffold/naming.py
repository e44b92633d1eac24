"""The names a new plugin is generated under, all derived from its manifest name."""

from __future__ import annotations

import importlib.util
import keyword
import sys
from dataclasses import dataclass
from typing import Final

from holomush_host.manifest.errors import go_quote
from holomush_host.manifest.validate import NAME_PATTERN_MESSAGE
from holomush_host.manifest.vocabulary import COMMAND_NAME_MAX_LENGTH, NAME_MAX_LENGTH, NAME_PATTERN

__all__ = ["PluginNames", "ScaffoldError", "plugin_names"]

# Top-level packages a plugin (or its tests) imports: a plugin package with one of these
# names would shadow it on sys.path and break the plugin in confusing ways. Anything else
# importable where the generator runs is refused too.
_TAKEN_PACKAGES: Final = frozenset(
    {
        "conftest",
        "cryptography",
        "google",
        "grpc",
        "grpc_health",
        "hashicorp",
        "holomush",
        "holomush_host",
        "holomush_sdk",
        "holomush_testing",
        "psycopg",
        "psycopg_pool",
        "pytest",
        "pytest_asyncio",
        "tests",
        "typing_extensions",
        "yaml",
        "yoyo",
    }
)


class ScaffoldError(Exception):
    """A plugin cannot be generated as asked; nothing was written."""


@dataclass(frozen=True)
class PluginNames:
    plugin: str
    """The manifest name, e.g. ``hello-world``; also the executable's name."""
    package: str
    """The Python package (and the plugin directory), e.g. ``hello_world``."""
    class_name: str
    """The plugin object's class, e.g. ``HelloWorldPlugin``."""
    command: str
    """The example command: the plugin name, cut to the command name limit."""
    error_code_prefix: str
    """For the plugin's error codes, e.g. ``HELLO_WORLD``."""


def _is_taken(package: str) -> bool:
    if package in sys.stdlib_module_names or package in _TAKEN_PACKAGES:
        return True
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def plugin_names(name: str) -> PluginNames:
    """Check ``name`` against the manifest name rule and derive the other names."""
    if NAME_PATTERN.fullmatch(name) is None:
        raise ScaffoldError(f"invalid plugin name {go_quote(name)}: {NAME_PATTERN_MESSAGE}")
    if len(name) > NAME_MAX_LENGTH:
        raise ScaffoldError(
            f"invalid plugin name {go_quote(name)}: it has {len(name)} characters; "
            f"the limit is {NAME_MAX_LENGTH}"
        )
    package = name.replace("-", "_")
    if keyword.iskeyword(package):
        raise ScaffoldError(
            f"invalid plugin name {go_quote(name)}: {package!r} is a Python keyword and "
            "cannot name the plugin's package"
        )
    if _is_taken(package):
        raise ScaffoldError(
            f"invalid plugin name {go_quote(name)}: a package named {package!r} would shadow "
            f"the module {package!r} that is already importable; choose another name"
        )
    return PluginNames(
        plugin=name,
        package=package,
        class_name="".join(part.capitalize() for part in name.split("-")) + "Plugin",
        command=name[:COMMAND_NAME_MAX_LENGTH].rstrip("-"),
        error_code_prefix=package.upper(),
    )
