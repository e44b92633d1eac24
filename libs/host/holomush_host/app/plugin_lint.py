"""Checking plugin directories without starting anything (``holomush plugins …``).

Runs every check the plugin manager runs before it starts a process, with the same
messages: the manifest and its executable, command capabilities against everything
discovered, the policies' installation rules, and the load order (``requires`` /
``provides`` / ``dependencies``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from holomush_host.manifest.capabilities import check_command_capabilities, known_vocabulary
from holomush_host.manifest.dependencies import plan_load_order
from holomush_host.manifest.discovery import MANIFEST_FILE, DiscoveredPlugin, discover
from holomush_host.manifest.model import Manifest
from holomush_host.manifest.vocabulary import DEFAULT_HOST_SERVICES
from holomush_host.policy.errors import PolicyInstallError
from holomush_host.policy.installation import prepare_plugin_policies


class LintOutcome(enum.StrEnum):
    OK = "ok"
    INVALID = "invalid"
    UNSUPPORTED = "unsupported"
    SKIPPED = "skipped"


@dataclass
class PluginLint:
    name: str
    path: Path
    outcome: LintOutcome
    manifest: Manifest | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class LintTargetError(Exception):
    """The directory to check does not exist or is not a directory."""


def lint_plugins(target: Path, *, trusted_plugins: tuple[str, ...] = ()) -> list[PluginLint]:
    """``target``: a plugins directory (``*/plugin.yaml``) or one plugin's directory."""
    if not target.exists():
        raise LintTargetError(f"{target} does not exist")
    if not target.is_dir():
        raise LintTargetError(f"{target} is not a directory")
    single = (target / MANIFEST_FILE).exists()
    plugins_dir = target.resolve().parent if single else target
    result = discover(plugins_dir)
    lints: list[PluginLint] = []
    for error in result.errors:
        path = Path(error.source) if error.source else plugins_dir
        name = path.parent.name if path.name == MANIFEST_FILE else path.name
        lints.append(PluginLint(name, path, LintOutcome.INVALID, problems=[str(error)]))
    for plugin in result.unsupported:
        lints.append(
            PluginLint(
                plugin.name,
                plugin.manifest_path,
                LintOutcome.UNSUPPORTED,
                plugin.manifest,
                warnings=[plugin.manifest.unsupported_reason or ""],
            )
        )
    for skipped in result.skipped:
        lints.append(
            PluginLint(
                skipped.path.name, skipped.path, LintOutcome.SKIPPED, warnings=[skipped.reason]
            )
        )
    lints.extend(_check_runnable(result.plugins, result.unsupported, trusted_plugins))
    if single:
        wanted = target.resolve()
        lints = [lint for lint in lints if _inside(lint.path, wanted)]
    return sorted(lints, key=lambda lint: lint.name)


def _check_runnable(
    plugins: tuple[DiscoveredPlugin, ...],
    unsupported: tuple[DiscoveredPlugin, ...],
    trusted_plugins: tuple[str, ...],
) -> list[PluginLint]:
    vocabulary = known_vocabulary([p.manifest for p in (*plugins, *unsupported)])
    lints = {
        plugin.name: PluginLint(plugin.name, plugin.manifest_path, LintOutcome.OK, plugin.manifest)
        for plugin in plugins
    }
    for plugin in plugins:
        lint = lints[plugin.name]
        check = check_command_capabilities(plugin.manifest, vocabulary)
        lint.problems.extend(f"INVALID_CAPABILITY: {problem}" for problem in check.problems)
        lint.warnings.extend(check.warnings)
        try:
            plan = prepare_plugin_policies(plugin.manifest, trusted_plugins=trusted_plugins)
        except PolicyInstallError as exc:
            lint.problems.append(f"PLUGIN_POLICY_INVALID: {exc}")
        else:
            lint.warnings.extend(plan.warnings)
    for problem in plan_load_order(list(plugins), DEFAULT_HOST_SERVICES).problems:
        for name in problem.plugins:
            if name in lints:
                lints[name].problems.append(str(problem))
    for lint in lints.values():
        if lint.problems:
            lint.outcome = LintOutcome.INVALID
    return list(lints.values())


def _inside(path: Path, directory: Path) -> bool:
    try:
        return path.resolve().is_relative_to(directory)
    except OSError:
        return False
