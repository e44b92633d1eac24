"""Attributes of plugin-owned resource types, for the policy engine (reference §4.11).

A plugin that declares ``resource_types`` serves AttributeResolverService; the host
checked its schema at load. `resolve_resource_attributes` asks it for one resource, and
`PluginAttributeProvider` adapts that to the policy engine's ``AttributeProvider``
(register one per type in an ``AttributeSource``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import grpc
import grpc.aio

from holomush.plugin.v1 import attribute_pb2
from holomush_host.plugins.calls import restarting_message
from holomush_host.plugins.errors import (
    AttributeResolutionError,
    PluginUnavailableError,
    ResourceNotFoundError,
)
from holomush_host.plugins.instance import PluginInstance
from holomush_host.services.channel_loss import channel_loss
from holomush_sdk.attributes import attribute_value_from_proto

__all__ = ["RESOLVE_TIMEOUT", "PluginAttributeProvider", "resolve_resource_attributes"]

RESOLVE_TIMEOUT = 5.0

Resolve = Callable[[str, str], Awaitable[Mapping[str, object]]]


async def resolve_resource_attributes(
    plugin: str, instance: PluginInstance, resource_type: str, resource_id: str
) -> dict[str, object]:
    request = attribute_pb2.ResolveResourceRequest(
        resource_type=resource_type, resource_id=resource_id
    )
    lost = PluginUnavailableError(plugin, restarting_message(plugin))
    try:
        with channel_loss(lambda: lost):
            response = await instance.attributes.ResolveResource(request, timeout=RESOLVE_TIMEOUT)
    except grpc.aio.AioRpcError as err:
        detail = f"{plugin} ResolveResource({resource_type}:{resource_id}): {err.code().name}: {err.details()}"
        if err.code() is grpc.StatusCode.NOT_FOUND:
            raise ResourceNotFoundError(
                plugin, f"There is no {resource_type} {resource_id}.", detail=detail
            ) from None
        raise AttributeResolutionError(
            plugin, f"{plugin} could not look up {resource_type} {resource_id}.", detail=detail
        ) from None
    attributes: dict[str, object] = {}
    for name, value in response.attributes.items():
        converted = attribute_value_from_proto(value)
        if converted is not None:
            attributes[name] = tuple(converted) if isinstance(converted, list) else converted
    return attributes


class PluginAttributeProvider:
    """``AttributeProvider`` for one plugin resource type."""

    def __init__(
        self, entity_type: str, attribute_names: Callable[[], frozenset[str]], resolve: Resolve
    ) -> None:
        self._entity_type = entity_type
        self._names = attribute_names
        self._resolve = resolve

    @property
    def entity_type(self) -> str:
        return self._entity_type

    @property
    def attribute_names(self) -> frozenset[str]:
        return self._names()

    async def resolve(self, entity_id: str) -> Mapping[str, object] | None:
        """The attributes; None when the plugin says there is no such resource. Other
        failures raise, which fails the access check closed."""
        try:
            return await self._resolve(self._entity_type, entity_id)
        except ResourceNotFoundError:
            return None
