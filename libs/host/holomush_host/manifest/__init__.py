"""Plugin manifests: parsing, validation, discovery and load order."""

from holomush_host.manifest.capabilities import (
    CapabilityCheck,
    Vocabulary,
    check_command_capabilities,
    known_vocabulary,
)
from holomush_host.manifest.dependencies import (
    DependencyError,
    DependencyErrorCode,
    DependencyProblem,
    LoadPlan,
    plan_load_order,
    resolve_load_order,
)
from holomush_host.manifest.discovery import (
    MANIFEST_FILE,
    DiscoveredPlugin,
    DiscoveryResult,
    ExecutableError,
    SkippedEntry,
    discover,
    resolve_executable,
)
from holomush_host.manifest.errors import ManifestError, ManifestProblem
from holomush_host.manifest.model import (
    BinaryPluginBlock,
    Capability,
    CapabilityScope,
    CommandSpec,
    LuaPluginBlock,
    Manifest,
    PluginType,
    PolicySpec,
    SettingBlock,
    StorageKind,
    TrustSpec,
    VerbSpec,
)
from holomush_host.manifest.parse import parse_manifest
from holomush_host.manifest.semver import (
    ConstraintError,
    Version,
    VersionConstraint,
    VersionError,
    parse_constraint,
    parse_version,
)
from holomush_host.manifest.vocabulary import DEFAULT_HOST_SERVICES

__all__ = [
    "DEFAULT_HOST_SERVICES",
    "MANIFEST_FILE",
    "BinaryPluginBlock",
    "Capability",
    "CapabilityCheck",
    "CapabilityScope",
    "CommandSpec",
    "ConstraintError",
    "DependencyError",
    "DependencyErrorCode",
    "DependencyProblem",
    "DiscoveredPlugin",
    "DiscoveryResult",
    "ExecutableError",
    "LoadPlan",
    "LuaPluginBlock",
    "Manifest",
    "ManifestError",
    "ManifestProblem",
    "PluginType",
    "PolicySpec",
    "SettingBlock",
    "SkippedEntry",
    "StorageKind",
    "TrustSpec",
    "VerbSpec",
    "Version",
    "VersionConstraint",
    "VersionError",
    "Vocabulary",
    "check_command_capabilities",
    "discover",
    "known_vocabulary",
    "parse_constraint",
    "parse_manifest",
    "parse_version",
    "plan_load_order",
    "resolve_executable",
    "resolve_load_order",
]
