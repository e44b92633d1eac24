"""Typed, immutable form of a validated plugin manifest (reference §3.1, §3.3)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from holomush_host.manifest.vocabulary import DEFAULT_PRIORITY


class PluginType(enum.Enum):
    LUA = "lua"
    BINARY = "binary"
    SETTING = "setting"


class StorageKind(enum.Enum):
    KV = "kv"
    POSTGRES = "postgres"


class CapabilityScope(enum.Enum):
    """How far a command's capability reaches; an empty scope in YAML means ``self``."""

    SELF = "self"
    LOCAL = "local"
    GLOBAL = "global"


@dataclass(frozen=True)
class Capability:
    action: str
    resource: str
    scope: CapabilityScope = CapabilityScope.SELF


@dataclass(frozen=True)
class CommandSpec:
    name: str
    aliases: tuple[str, ...] = ()
    capabilities: tuple[Capability, ...] = ()
    help: str = ""
    usage: str = ""
    help_text: str = ""
    #: Relative to the plugin directory; discovery checks it exists inside it.
    help_file: str = ""


@dataclass(frozen=True)
class PolicySpec:
    name: str
    dsl: str


@dataclass(frozen=True)
class VerbSpec:
    type: str
    category: str
    format: str
    label: str = ""
    #: Lower-cased; ``None`` when the manifest leaves it to the host's default.
    display_target: str | None = None


@dataclass(frozen=True)
class LuaPluginBlock:
    entry: str


@dataclass(frozen=True)
class BinaryPluginBlock:
    executable: str


@dataclass(frozen=True)
class SettingBlock:
    display_name: str
    content_dir: str
    starting_location: str
    description: str = ""
    world_dir: str = ""
    theme: str = ""


@dataclass(frozen=True)
class TrustSpec:
    #: Only effective when the server's allowlist also names the plugin.
    all_principals: bool = False


def _empty_mapping() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    type: PluginType
    engine: str | None = None
    #: Plugin name -> version constraint.
    dependencies: Mapping[str, str] = field(default_factory=_empty_mapping)
    events: tuple[str, ...] = ()
    emits: tuple[str, ...] = ()
    policies: tuple[PolicySpec, ...] = ()
    commands: tuple[CommandSpec, ...] = ()
    verbs: tuple[VerbSpec, ...] = ()
    priority: int = DEFAULT_PRIORITY
    session_streams: bool = False
    lua_plugin: LuaPluginBlock | None = None
    binary_plugin: BinaryPluginBlock | None = None
    setting: SettingBlock | None = None
    requires: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    storage: StorageKind = StorageKind.KV
    resource_types: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    trust: TrustSpec = TrustSpec()
    #: Where the manifest was read from (a file path), for messages.
    source: str | None = None

    @property
    def supported(self) -> bool:
        """This host runs binary plugins only."""
        return self.type is PluginType.BINARY

    @property
    def unsupported_reason(self) -> str | None:
        if self.supported:
            return None
        return f"{self.type.value} plugins are not supported by this host; only binary plugins run"
