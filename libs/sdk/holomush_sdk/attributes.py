"""Attribute resolution for plugins that own ABAC resource types (manifest ``resource_types``).

The host asks the plugin for the schema of its resource types once at load, then for the
attributes of one resource whenever a policy needs them. A plugin implements
`AttributeResolver` and exposes it by giving its handler (or service provider) an
``attribute_resolver()`` method (`AttributeResolverProvider`); the SDK serves it as the
``holomush.plugin.v1.AttributeResolverService``::

    class SceneResolver:
        def get_schema(self) -> dict[str, dict[str, AttributeType]]:
            return {"scene": {"owner": AttributeType.STRING, "participants": AttributeType.STRING_LIST}}

        async def resolve_resource(self, resource_type: str, resource_id: str) -> dict[str, AttributeValue]:
            if resource_type != "scene":
                raise PluginError(f"unknown type {resource_type}", status=grpc.StatusCode.INVALID_ARGUMENT)
            return {"owner": row.owner_id, "participants": [...]}
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

import grpc

from holomush.plugin.v1 import attribute_pb2, attribute_pb2_grpc
from holomush_sdk._invoke import call_maybe_async
from holomush_sdk.errors import PluginError

__all__ = [
    "AttributeResolver",
    "AttributeResolverProvider",
    "AttributeResolverServicer",
    "AttributeSchema",
    "AttributeType",
    "AttributeValue",
    "add_attribute_resolver_to_server",
    "attribute_value_from_proto",
    "attribute_value_to_proto",
]

_log = logging.getLogger(__name__)


class AttributeType(enum.IntEnum):
    STRING = 1
    BOOL = 2
    FLOAT = 3
    STRING_LIST = 4


AttributeValue: TypeAlias = str | float | bool | Sequence[str]
"""A resolved attribute: str, number (int or float), bool, or a list of str."""

AttributeSchema: TypeAlias = Mapping[str, Mapping[str, AttributeType]]
"""Resource type → attribute name → attribute type."""


@runtime_checkable
class AttributeResolver(Protocol):
    """Schema plus per-resource attributes. Either method may be ``async def`` or plain."""

    def get_schema(self) -> AttributeSchema | Awaitable[AttributeSchema]: ...

    def resolve_resource(
        self, resource_type: str, resource_id: str
    ) -> Mapping[str, AttributeValue] | Awaitable[Mapping[str, AttributeValue]]: ...


@runtime_checkable
class AttributeResolverProvider(Protocol):
    """Implement on the handler (or provider) to have the SDK serve an `AttributeResolver`."""

    def attribute_resolver(self) -> AttributeResolver: ...


def attribute_value_to_proto(value: AttributeValue) -> attribute_pb2.AttributeValue:
    # bool first: it is also an int.
    if isinstance(value, bool):
        return attribute_pb2.AttributeValue(bool_value=value)
    if isinstance(value, str):
        return attribute_pb2.AttributeValue(string_value=value)
    if isinstance(value, int | float):
        return attribute_pb2.AttributeValue(number_value=float(value))
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return attribute_pb2.AttributeValue(
            string_list_value=attribute_pb2.StringList(values=list(value))
        )
    raise TypeError(
        f"attribute value must be str, int, float, bool or a list of str, got {type(value).__name__}"
    )


def attribute_value_from_proto(message: attribute_pb2.AttributeValue) -> AttributeValue | None:
    """The Python value of an AttributeValue; None when no kind is set."""
    kind = message.WhichOneof("kind")
    if kind == "string_value":
        return message.string_value
    if kind == "number_value":
        return message.number_value
    if kind == "bool_value":
        return message.bool_value
    if kind == "string_list_value":
        return list(message.string_list_value.values)
    return None


class AttributeResolverServicer(attribute_pb2_grpc.AttributeResolverServiceServicer):
    """Serves an `AttributeResolver` as the gRPC AttributeResolverService."""

    def __init__(self, resolver: AttributeResolver) -> None:
        self._resolver = resolver

    async def GetSchema(
        self, request: attribute_pb2.GetSchemaRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> attribute_pb2.GetSchemaResponse:
        try:
            schema = await call_maybe_async(self._resolver.get_schema)
            response = attribute_pb2.GetSchemaResponse(
                resource_types={
                    resource_type: attribute_pb2.ResourceTypeSchema(
                        attributes={
                            name: attribute_pb2.AttributeType.ValueType(int(kind))
                            for name, kind in attributes.items()
                        }
                    )
                    for resource_type, attributes in schema.items()
                }
            )
        except Exception as exc:
            status, message = _status_of(exc, "get schema")
        else:
            return response
        await context.abort(status, message)

    async def ResolveResource(
        self,
        request: attribute_pb2.ResolveResourceRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> attribute_pb2.ResolveResourceResponse:
        try:
            attributes = await call_maybe_async(
                self._resolver.resolve_resource, request.resource_type, request.resource_id
            )
            response = attribute_pb2.ResolveResourceResponse(
                attributes={
                    name: attribute_value_to_proto(value) for name, value in attributes.items()
                }
            )
        except Exception as exc:
            status, message = _status_of(exc, "resolve resource")
        else:
            return response
        await context.abort(status, message)


def _status_of(exc: Exception, operation: str) -> tuple[grpc.StatusCode, str]:
    if isinstance(exc, PluginError):
        return exc.status, exc.wire_message()
    _log.exception("attribute resolver failed to %s", operation)
    return grpc.StatusCode.INTERNAL, f"{operation}: {type(exc).__name__}: {exc}"


def add_attribute_resolver_to_server(resolver: AttributeResolver, server: grpc.aio.Server) -> None:
    """Register `resolver` as the AttributeResolverService on `server`."""
    attribute_pb2_grpc.add_AttributeResolverServiceServicer_to_server(
        AttributeResolverServicer(resolver), server
    )
