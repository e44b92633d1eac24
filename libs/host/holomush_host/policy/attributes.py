"""Where attribute values come from: async providers, one per entity type.

A provider for entity type ``T`` answers for ``T:<id>`` and contributes the keys
``T.<attr>`` to whichever bag (principal or resource) the entity fills, and only the
attributes named in its schema. The host registers built-in providers (character,
command, plugin) and, per plugin ``resource_types``, one backed by the plugin's
AttributeResolverService over gRPC. Values of any other shape are dropped, so a policy
reading them sees a missing attribute and fails closed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Protocol

from holomush_host.policy.ast import Scalar
from holomush_host.policy.evaluator import AttributeValue


class AttributeProvider(Protocol):
    """Resolves the attributes of one entity type (``character``, ``scene`` …)."""

    @property
    def entity_type(self) -> str: ...

    @property
    def attribute_names(self) -> frozenset[str]:
        """The schema: the only attribute names this provider may contribute."""
        ...

    async def resolve(self, entity_id: str) -> Mapping[str, object] | None:
        """The entity's attributes, or ``None`` when no such entity exists.

        Raising fails the access check closed (deny, with the error recorded).
        """
        ...


class EnvironmentProvider(Protocol):
    """Attributes of the ``env`` bag (time of day, server state …)."""

    async def resolve(self) -> Mapping[str, object]: ...


def normalize_value(value: object) -> AttributeValue | None:
    """The value as the evaluator sees it, or ``None`` when it has an unusable shape."""
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple | frozenset | set):
        scalars: list[Scalar] = []
        for item in value:
            normalized = normalize_value(item)
            if normalized is None or isinstance(normalized, tuple):
                return None  # lists hold scalars only
            scalars.append(normalized)
        if isinstance(value, set | frozenset):
            scalars.sort(key=repr)  # a stable order for an unordered input
        return tuple(scalars)
    return None


def namespaced(
    namespace: str, values: Mapping[str, object], allowed: Collection[str]
) -> dict[str, AttributeValue]:
    """``{namespace.attr: value}`` for declared attributes with usable values."""
    result: dict[str, AttributeValue] = {}
    for name, raw in values.items():
        if name not in allowed:
            continue
        value = normalize_value(raw)
        if value is not None:
            result[f"{namespace}.{name}"] = value
    return result


class AttributeSource:
    """The providers an access check may consult, keyed by entity type."""

    def __init__(
        self,
        providers: Iterable[AttributeProvider] = (),
        environment: EnvironmentProvider | None = None,
    ) -> None:
        self._providers: dict[str, AttributeProvider] = {}
        self._environment = environment
        for provider in providers:
            self.register(provider)

    def register(self, provider: AttributeProvider) -> None:
        entity_type = provider.entity_type
        if entity_type in self._providers:
            raise ValueError(f"an attribute provider for {entity_type!r} is already registered")
        self._providers[entity_type] = provider

    def unregister(self, entity_type: str) -> None:
        self._providers.pop(entity_type, None)

    def provider(self, entity_type: str) -> AttributeProvider | None:
        return self._providers.get(entity_type)

    @property
    def entity_types(self) -> frozenset[str]:
        return frozenset(self._providers)

    async def environment(self) -> dict[str, AttributeValue]:
        if self._environment is None:
            return {}
        raw = await self._environment.resolve()
        result: dict[str, AttributeValue] = {}
        for key, item in raw.items():
            value = normalize_value(item)
            if value is not None:
                result[key] = value
        return result


class MappingAttributeProvider:
    """Attributes held in memory: for tests and for entities the host knows outright."""

    def __init__(
        self,
        entity_type: str,
        attribute_names: Iterable[str],
        entities: Mapping[str, Mapping[str, object]] | None = None,
    ) -> None:
        self._entity_type = entity_type
        self._names = frozenset(attribute_names)
        self.entities: dict[str, Mapping[str, object]] = dict(entities or {})
        #: Every id asked for, in order (lets tests assert laziness).
        self.calls: list[str] = []

    @property
    def entity_type(self) -> str:
        return self._entity_type

    @property
    def attribute_names(self) -> frozenset[str]:
        return self._names

    async def resolve(self, entity_id: str) -> Mapping[str, object] | None:
        self.calls.append(entity_id)
        return self.entities.get(entity_id)


class CommandAttributeProvider:
    """``command.name`` from ``command:<name>``; no lookup needed."""

    entity_type = "command"
    attribute_names = frozenset({"name"})

    async def resolve(self, entity_id: str) -> Mapping[str, object] | None:
        return {"name": entity_id}


class PluginSubjectAttributeProvider:
    """``plugin.name`` for loaded plugins only, so a stopped plugin matches no policy."""

    entity_type = "plugin"
    attribute_names = frozenset({"name"})

    def __init__(self, loaded_plugins: Callable[[], Collection[str]]) -> None:
        self._loaded = loaded_plugins

    async def resolve(self, entity_id: str) -> Mapping[str, object] | None:
        return {"name": entity_id} if entity_id in self._loaded() else None
