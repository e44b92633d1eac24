"""Load-time checks of command capabilities against everything discovered (reference §3.3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from holomush_host.manifest.errors import ManifestProblem, go_quote
from holomush_host.manifest.model import Manifest
from holomush_host.manifest.vocabulary import CORE_ACTIONS, CORE_RESOURCE_TYPES


@dataclass(frozen=True)
class Vocabulary:
    """Resource types and actions a capability may name."""

    resource_types: frozenset[str]
    actions: frozenset[str]


def known_vocabulary(manifests: Iterable[Manifest]) -> Vocabulary:
    """The core sets plus every discovered plugin's ``resource_types`` and ``actions``."""
    resource_types = set(CORE_RESOURCE_TYPES)
    actions = set(CORE_ACTIONS)
    for manifest in manifests:
        resource_types.update(manifest.resource_types)
        actions.update(manifest.actions)
    return Vocabulary(frozenset(resource_types), frozenset(actions))


@dataclass(frozen=True)
class CapabilityCheck:
    problems: tuple[ManifestProblem, ...]
    #: Actions that only another plugin declares: legal, but worth a log line.
    warnings: tuple[str, ...]


def check_command_capabilities(manifest: Manifest, vocabulary: Vocabulary) -> CapabilityCheck:
    problems: list[ManifestProblem] = []
    warnings: list[str] = []
    for index, spec in enumerate(manifest.commands):
        for cap_index, capability in enumerate(spec.capabilities):
            path = f"commands[{index}].capabilities[{cap_index}]"
            if capability.resource not in vocabulary.resource_types:
                problems.append(
                    ManifestProblem(
                        f"{path}.resource",
                        f"unknown resource type {go_quote(capability.resource)}",
                        code="INVALID_CAPABILITY",
                        hint="use a core resource type or one a plugin declares in resource_types",
                    )
                )
            if capability.action not in vocabulary.actions:
                problems.append(
                    ManifestProblem(
                        f"{path}.action",
                        f"unknown action {go_quote(capability.action)}",
                        code="INVALID_CAPABILITY",
                        hint="use a core action or one a plugin declares in actions",
                    )
                )
            elif (
                capability.action not in CORE_ACTIONS and capability.action not in manifest.actions
            ):
                warnings.append(
                    f"plugin {go_quote(manifest.name)} command {go_quote(spec.name)} uses action "
                    f"{go_quote(capability.action)}, which only another plugin declares"
                )
    return CapabilityCheck(tuple(problems), tuple(warnings))
