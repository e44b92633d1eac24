"""What the manager tells its caller: the load report, and the state of each plugin."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from holomush_host.manifest.model import Manifest
from holomush_host.policy.installation import PolicyInstallPlan

__all__ = ["LoadOutcome", "LoadReport", "LoadedPlugin", "PluginLoadStatus", "PluginState"]


class PluginState(enum.StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"
    """It exited or stopped answering; a new process is on its way."""
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"
    """It never loaded (see the load report)."""


class LoadOutcome(enum.StrEnum):
    LOADED = "loaded"
    FAILED = "failed"
    """A valid plugin that could not be loaded (dependency problem, start or Init error)."""
    INVALID = "invalid"
    """The manifest (or the executable it names) is broken."""
    UNSUPPORTED = "unsupported"
    """A valid manifest of a type this host does not run (lua, setting)."""
    SKIPPED = "skipped"
    """A directory that is not a plugin (no manifest, a symlink)."""


@dataclass(frozen=True)
class PluginLoadStatus:
    name: str
    """The plugin's name, or the directory name when the manifest gave none."""
    outcome: LoadOutcome
    message: str = ""
    """What went wrong and what to do about it (empty when loaded)."""
    code: str | None = None
    """Machine-readable reason, e.g. ``UNSATISFIED_REQUIRES`` or ``PLUGIN_INIT_FAILED``."""
    path: Path | None = None
    warnings: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.name}: {self.outcome}"
        if self.code:
            text += f" [{self.code}]"
        if self.message:
            text += f": {self.message}"
        return text


@dataclass(frozen=True)
class LoadReport:
    """Every plugin directory and what became of it; loaded plugins in load order first."""

    plugins: tuple[PluginLoadStatus, ...] = ()

    def status(self, name: str) -> PluginLoadStatus | None:
        return next((p for p in self.plugins if p.name == name), None)

    @property
    def loaded(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.plugins if p.outcome is LoadOutcome.LOADED)

    @property
    def problems(self) -> tuple[PluginLoadStatus, ...]:
        """Plugins that should have loaded and did not (failed or invalid)."""
        return tuple(
            p for p in self.plugins if p.outcome in (LoadOutcome.FAILED, LoadOutcome.INVALID)
        )

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if not self.plugins:
            return "no plugins found"
        return "\n".join(str(p) for p in self.plugins)


@dataclass(frozen=True)
class LoadedPlugin:
    """A snapshot of one plugin the manager runs (or ran)."""

    name: str
    version: str
    state: PluginState
    manifest: Manifest
    directory: Path
    services: tuple[str, ...]
    """Services it provides (reachable through the public port while it runs)."""
    pid: int | None
    """The current process (None while none runs)."""
    restarts: int = 0
    attribute_schema: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """From GetSchema: resource type → attribute name → ``AttributeType`` value."""
    warnings: Sequence[str] = ()
    policies: PolicyInstallPlan | None = None
    """The manifest's policies, checked and compiled: install them with
    ``holomush_host.policy.install_plugin_policies``."""
