"""Discovery: read ``<plugins_dir>/*/plugin.yaml`` and check what each plugin points at.

Follows the reference's scan rules (§4.1): a missing directory holds no plugins, plain
files and symlinked directories are skipped, a directory without ``plugin.yaml`` is
skipped with a note. Every broken plugin is reported with its file and all of its
problems, and the scan goes on.
"""

from __future__ import annotations

import os
import platform
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

from holomush_host.manifest.errors import ManifestError, ManifestProblem
from holomush_host.manifest.model import Manifest, PluginType
from holomush_host.manifest.parse import parse_manifest

MANIFEST_FILE: Final = "plugin.yaml"
_GOOS: Final = {"linux": "linux", "darwin": "darwin", "win32": "windows"}
_GOARCH: Final = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def platform_dir_name() -> str:
    """``<GOOS>-<GOARCH>`` of this machine, as in the reference's build layout."""
    goos = _GOOS.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    return f"{goos}-{_GOARCH.get(machine, machine)}"


class ExecutableError(Exception):
    """The manifest's executable cannot be run from the plugin directory."""

    def __init__(self, message: str, path: Path) -> None:
        self.message = message
        self.path = path
        super().__init__(f"{message}: {path}")


def resolve_executable(plugin_dir: Path, executable: str) -> Path:
    """The real path of the plugin's executable, checked to stay inside ``plugin_dir``.

    ``<dir>/<GOOS>-<GOARCH>/<executable>`` wins when it exists, else ``<dir>/<executable>``.
    Symlinks are resolved on both sides before the containment check.
    """
    platform_candidate = plugin_dir / platform_dir_name() / executable
    candidate = (
        platform_candidate if os.path.lexists(platform_candidate) else plugin_dir / executable
    )
    real_dir = plugin_dir.resolve()
    real_file = candidate.resolve()
    if not real_file.is_relative_to(real_dir):
        raise ExecutableError("plugin executable path escapes plugin directory", candidate)
    try:
        mode = real_file.stat().st_mode
    except FileNotFoundError:
        raise ExecutableError("plugin executable not found", candidate) from None
    except OSError as exc:
        raise ExecutableError(
            f"plugin executable cannot be read ({exc.strerror})", candidate
        ) from None
    if not stat.S_ISREG(mode):
        raise ExecutableError("plugin executable is not a regular file", candidate)
    if not mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
        raise ExecutableError("plugin executable not executable", candidate)
    return real_file


def _empty_paths() -> Mapping[str, Path]:
    return MappingProxyType({})


@dataclass(frozen=True)
class DiscoveredPlugin:
    manifest: Manifest
    directory: Path
    manifest_path: Path
    #: Real path of the checked executable; ``None`` for types this host does not run.
    executable: Path | None = None
    #: Command name -> real path of its ``helpFile``.
    help_files: Mapping[str, Path] = field(default_factory=_empty_paths)

    @property
    def name(self) -> str:
        return self.manifest.name


@dataclass(frozen=True)
class SkippedEntry:
    path: Path
    reason: str


@dataclass(frozen=True)
class DiscoveryResult:
    #: Valid plugins this host can run, in directory-name order.
    plugins: tuple[DiscoveredPlugin, ...] = ()
    #: Valid manifests of types this host does not run (lua, setting): report and skip.
    unsupported: tuple[DiscoveredPlugin, ...] = ()
    #: One error per broken plugin directory, each with every problem found.
    errors: tuple[ManifestError, ...] = ()
    skipped: tuple[SkippedEntry, ...] = ()


def discover(plugins_dir: Path) -> DiscoveryResult:
    """Scan ``plugins_dir``; never raises for a bad plugin, reports it instead."""
    if not plugins_dir.exists():
        return DiscoveryResult()
    try:
        entries = sorted(plugins_dir.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        problem = ManifestProblem("", f"cannot scan plugins directory: {exc.strerror or exc}")
        return DiscoveryResult(errors=(ManifestError(str(plugins_dir), [problem]),))
    plugins: list[DiscoveredPlugin] = []
    unsupported: list[DiscoveredPlugin] = []
    errors: list[ManifestError] = []
    skipped: list[SkippedEntry] = []
    for entry in entries:
        if entry.is_symlink():
            if entry.is_dir():
                skipped.append(SkippedEntry(entry, "symlinked plugin directories are not followed"))
            continue
        if not entry.is_dir():
            continue
        manifest_path = entry / MANIFEST_FILE
        try:
            manifest_path.stat()
        except FileNotFoundError:
            skipped.append(SkippedEntry(entry, "skipping plugin without manifest"))
            continue
        except OSError as exc:
            problem = ManifestProblem("", f"cannot read manifest: {exc.strerror or exc}")
            errors.append(ManifestError(str(manifest_path), [problem]))
            continue
        try:
            plugin = _inspect(entry, manifest_path)
        except ManifestError as exc:
            errors.append(exc)
            continue
        (plugins if plugin.manifest.supported else unsupported).append(plugin)
    return DiscoveryResult(tuple(plugins), tuple(unsupported), tuple(errors), tuple(skipped))


def _inspect(directory: Path, manifest_path: Path) -> DiscoveredPlugin:
    manifest = parse_manifest(manifest_path)
    if not manifest.supported:
        return DiscoveredPlugin(manifest, directory, manifest_path)
    problems: list[ManifestProblem] = []
    executable = None
    if manifest.type is PluginType.BINARY and manifest.binary_plugin is not None:
        try:
            executable = resolve_executable(directory, manifest.binary_plugin.executable)
        except ExecutableError as exc:
            problems.append(
                ManifestProblem("binary-plugin.executable", exc.message, hint=str(exc.path))
            )
    help_files: dict[str, Path] = {}
    real_dir = directory.resolve()
    for index, spec in enumerate(manifest.commands):
        if not spec.help_file:
            continue
        path = (directory / spec.help_file).resolve()
        message = None
        if not path.is_relative_to(real_dir):
            message = "helpFile path escapes plugin directory"
        elif not path.is_file():
            message = "helpFile not found"
        if message is None:
            help_files[spec.name] = path
        else:
            problems.append(
                ManifestProblem(
                    f"commands[{index}].helpFile", message, hint=str(directory / spec.help_file)
                )
            )
    if problems:
        raise ManifestError(str(manifest_path), problems)
    return DiscoveredPlugin(
        manifest, directory, manifest_path, executable, MappingProxyType(help_files)
    )
