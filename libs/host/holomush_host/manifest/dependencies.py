"""Load order from ``requires``/``provides`` and ``dependencies`` (reference §4.3).

Edges run provider -> consumer and dependency -> dependent; services the host serves
satisfy ``requires`` without an edge. Service names match exactly, as in the reference;
a bare name such as ``WorldService`` is not matched to ``holomush.world.v1.WorldService``,
but the error suggests the full name. Kahn's algorithm breaks ties by (priority, name), so
the order is the same on every run. Deviation from the reference: named dependencies'
version constraints are enforced.

:func:`plan_load_order` leaves out what cannot load (and what needs it) and says why;
:func:`resolve_load_order` raises if anything is left out.
"""

from __future__ import annotations

import enum
import heapq
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from holomush_host.manifest.discovery import DiscoveredPlugin
from holomush_host.manifest.errors import go_quote
from holomush_host.manifest.model import Manifest
from holomush_host.manifest.semver import (
    ConstraintError,
    VersionError,
    parse_constraint,
    parse_version,
)
from holomush_host.manifest.vocabulary import DEFAULT_HOST_SERVICES

T = TypeVar("T", Manifest, DiscoveredPlugin)


class DependencyErrorCode(enum.Enum):
    DUPLICATE_PLUGIN_NAME = "DUPLICATE_PLUGIN_NAME"
    DUPLICATE_SERVICE_PROVIDER = "DUPLICATE_SERVICE_PROVIDER"
    UNSATISFIED_REQUIRES = "UNSATISFIED_REQUIRES"
    UNSATISFIED_DEPENDENCY = "UNSATISFIED_DEPENDENCY"
    CIRCULAR_DEPENDENCY = "CIRCULAR_DEPENDENCY"


@dataclass(frozen=True)
class DependencyProblem:
    code: DependencyErrorCode
    message: str
    #: The plugins that cannot load because of it.
    plugins: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"


class DependencyError(Exception):
    """Some plugins cannot be ordered; carries every problem."""

    def __init__(self, problems: Iterable[DependencyProblem]) -> None:
        self.problems: tuple[DependencyProblem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("DependencyError needs at least one problem")
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @property
    def code(self) -> DependencyErrorCode:
        """The code of the first problem (all of them are in ``problems``)."""
        return self.problems[0].code


@dataclass(frozen=True)
class LoadPlan(Generic[T]):
    order: tuple[T, ...]
    problems: tuple[DependencyProblem, ...]

    @property
    def excluded(self) -> frozenset[str]:
        return frozenset(name for problem in self.problems for name in problem.plugins)


def _manifest(item: Manifest | DiscoveredPlugin) -> Manifest:
    return item if isinstance(item, Manifest) else item.manifest


def resolve_load_order(
    items: Sequence[T], host_services: Collection[str] = DEFAULT_HOST_SERVICES
) -> list[T]:
    """Every plugin in load order, or :class:`DependencyError` with all problems."""
    plan = plan_load_order(items, host_services)
    if plan.problems:
        raise DependencyError(plan.problems)
    return list(plan.order)


def plan_load_order(
    items: Sequence[T], host_services: Collection[str] = DEFAULT_HOST_SERVICES
) -> LoadPlan[T]:
    """The loadable plugins in order, and why each of the others cannot load."""
    resolver = _Resolver(items, frozenset(host_services))
    return LoadPlan(tuple(resolver.order()), tuple(resolver.problems))


class _Resolver(Generic[T]):
    def __init__(self, items: Sequence[T], host_services: frozenset[str]) -> None:
        self.host_services = host_services
        self.problems: list[DependencyProblem] = []
        self.excluded: set[str] = set()
        self.items: dict[str, T] = {}
        self.all_names = {_manifest(item).name for item in items}
        #: Every service any discovered plugin offers, even one that cannot load.
        self.offered: dict[str, list[str]] = defaultdict(list)
        for item in items:
            for service in _manifest(item).provides:
                self.offered[service].append(_manifest(item).name)
        self._index_names(items)
        self.providers = self._index_providers()

    def _fail(self, code: DependencyErrorCode, message: str, plugins: Iterable[str]) -> None:
        names = tuple(sorted(set(plugins)))
        self.excluded.update(names)
        self.problems.append(DependencyProblem(code, message, names))

    def _index_names(self, items: Sequence[T]) -> None:
        grouped: dict[str, list[T]] = defaultdict(list)
        for item in items:
            grouped[_manifest(item).name].append(item)
        for name, group in grouped.items():
            if len(group) == 1:
                self.items[name] = group[0]
                continue
            sources = ", ".join(_manifest(item).source or "<unnamed manifest>" for item in group)
            self._fail(
                DependencyErrorCode.DUPLICATE_PLUGIN_NAME,
                f"plugin name {go_quote(name)} is used by {len(group)} plugins ({sources}); "
                "rename or remove all but one",
                [name],
            )

    def _index_providers(self) -> dict[str, str]:
        offered: dict[str, list[str]] = defaultdict(list)
        for name in sorted(self.items):
            for service in _manifest(self.items[name]).provides:
                offered[service].append(name)
        providers: dict[str, str] = {}
        for service, names in sorted(offered.items()):
            if service in self.host_services:
                self._fail(
                    DependencyErrorCode.DUPLICATE_SERVICE_PROVIDER,
                    f"service {go_quote(service)} is served by the host and also provided by "
                    f"{_names(names)}; remove it from provides",
                    names,
                )
            elif len(names) > 1:
                self._fail(
                    DependencyErrorCode.DUPLICATE_SERVICE_PROVIDER,
                    f"service {go_quote(service)} is provided by more than one plugin: "
                    f"{_names(names)}; only one may provide it",
                    names,
                )
            else:
                providers[service] = names[0]
        return providers

    def _suggest(self, service: str) -> str:
        known = sorted(self.host_services | set(self.providers))
        matches = [full for full in known if full.rsplit(".", 1)[-1] == service and full != service]
        return f" (did you mean {go_quote(matches[0])}?)" if matches else ""

    def _check_requirements(self) -> None:
        changed = True
        while changed:
            changed = False
            for name in sorted(self.items):
                if name in self.excluded:
                    continue
                problem = self._first_unmet(name)
                if problem is not None:
                    code, message = problem
                    self._fail(code, message, [name])
                    changed = True

    def _first_unmet(self, name: str) -> tuple[DependencyErrorCode, str] | None:
        manifest = _manifest(self.items[name])
        for service in manifest.requires:
            if service in self.host_services:
                continue
            provider = self.providers.get(service)
            if provider is not None and provider not in self.excluded:
                continue
            if service in self.offered:
                return (
                    DependencyErrorCode.UNSATISFIED_REQUIRES,
                    f"plugin {go_quote(name)} requires service {go_quote(service)}, but its "
                    f"provider {_names(sorted(set(self.offered[service])))} cannot be loaded",
                )
            return (
                DependencyErrorCode.UNSATISFIED_REQUIRES,
                f"plugin {go_quote(name)} requires service {go_quote(service)} which is not "
                f"provided by any plugin or server{self._suggest(service)}",
            )
        for dependency, constraint in manifest.dependencies.items():
            problem = self._dependency_problem(name, dependency, constraint)
            if problem is not None:
                return DependencyErrorCode.UNSATISFIED_DEPENDENCY, problem
        return None

    def _dependency_problem(self, name: str, dependency: str, constraint: str) -> str | None:
        who = f"plugin {go_quote(name)} depends on plugin {go_quote(dependency)}"
        if dependency not in self.all_names:
            return f"{who}, which was not discovered"
        if dependency in self.excluded:
            return f"{who}, which cannot be loaded"
        found = _manifest(self.items[dependency]).version
        try:
            satisfied = parse_constraint(constraint).allows(parse_version(found))
        except (ConstraintError, VersionError) as exc:
            return f"{who}, but the version check failed: {exc}"
        if not satisfied:
            return f"{who} {constraint}, but version {found} was discovered"
        return None

    def _edges(self, names: Collection[str]) -> dict[str, dict[str, str]]:
        """``edges[a][b]`` = why ``a`` must load before ``b``."""
        edges: dict[str, dict[str, str]] = {name: {} for name in names}
        for name in names:
            manifest = _manifest(self.items[name])
            for service in manifest.requires:
                provider = self.providers.get(service)
                if provider in edges:
                    edges[provider].setdefault(name, f"{name} requires {service} from {provider}")
            for dependency in manifest.dependencies:
                if dependency in edges:
                    edges[dependency].setdefault(name, f"{name} depends on {dependency}")
        return edges

    def order(self) -> list[T]:
        self._check_requirements()
        names = [name for name in self.items if name not in self.excluded]
        edges = self._edges(names)
        indegree = {name: 0 for name in names}
        for targets in edges.values():
            for target in targets:
                indegree[target] += 1
        ready = [(_manifest(self.items[n]).priority, n) for n in names if indegree[n] == 0]
        heapq.heapify(ready)
        ordered: list[str] = []
        while ready:
            _, name = heapq.heappop(ready)
            ordered.append(name)
            for target in sorted(edges[name]):
                indegree[target] -= 1
                if indegree[target] == 0:
                    heapq.heappush(ready, (_manifest(self.items[target]).priority, target))
        stuck = sorted(n for n in names if indegree[n] > 0)
        if stuck:
            self._report_cycle(stuck, edges)
        return [self.items[name] for name in ordered]

    def _report_cycle(self, stuck: list[str], edges: dict[str, dict[str, str]]) -> None:
        stuck_set = set(stuck)
        predecessors: dict[str, list[str]] = defaultdict(list)
        for source, targets in edges.items():
            for target in targets:
                if source in stuck_set and target in stuck_set:
                    predecessors[target].append(source)
        # Every stuck plugin waits on another stuck one, so walking backwards must loop.
        walk = [stuck[0]]
        seen = {stuck[0]: 0}
        cycle: list[str]
        while True:
            previous = sorted(predecessors[walk[-1]])[0]
            if previous in seen:
                cycle = list(reversed(walk[seen[previous] :]))
                start = cycle.index(min(cycle))  # same text whichever node the walk began at
                cycle = cycle[start:] + cycle[:start]
                break
            seen[previous] = len(walk)
            walk.append(previous)
        path = " -> ".join([*cycle, cycle[0]])
        reasons = "; ".join(edges[a][b] for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True))
        self._fail(
            DependencyErrorCode.CIRCULAR_DEPENDENCY,
            f"circular dependency: {path} ({reasons}); cannot load: {_names(stuck)}",
            stuck,
        )


def _names(names: Iterable[str]) -> str:
    return ", ".join(go_quote(name) for name in names)
