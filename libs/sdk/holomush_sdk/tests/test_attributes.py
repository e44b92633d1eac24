import threading

import grpc
import pytest

from holomush.plugin.v1 import attribute_pb2, attribute_pb2_grpc
from holomush_sdk import AttributeResolver, AttributeType, PluginError
from holomush_sdk.attributes import (
    add_attribute_resolver_to_server,
    attribute_value_from_proto,
    attribute_value_to_proto,
)
from holomush_sdk.tests.grpc_helpers import serving


@pytest.mark.parametrize(
    ("value", "kind", "back"),
    [
        ("alice", "string_value", "alice"),
        (True, "bool_value", True),
        (False, "bool_value", False),
        (3, "number_value", 3.0),
        (2.5, "number_value", 2.5),
        (["a", "b"], "string_list_value", ["a", "b"]),
        ((), "string_list_value", []),
    ],
)
def test_attribute_values_convert_both_ways(value, kind, back):
    message = attribute_value_to_proto(value)
    assert message.WhichOneof("kind") == kind
    assert attribute_value_from_proto(message) == back


def test_unsupported_attribute_values_are_rejected():
    with pytest.raises(TypeError, match="got dict"):
        attribute_value_to_proto({"a": "b"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        attribute_value_to_proto([1, 2])  # type: ignore[list-item]
    assert attribute_value_from_proto(attribute_pb2.AttributeValue()) is None


class SceneResolver:
    """Plain-def schema and async resolve: both styles must work."""

    def __init__(self) -> None:
        self.schema_thread: int | None = None

    def get_schema(self):
        self.schema_thread = threading.get_ident()
        return {"scene": {"owner": AttributeType.STRING, "participants": AttributeType.STRING_LIST}}

    async def resolve_resource(self, resource_type, resource_id):
        if resource_type != "scene":
            raise PluginError(
                f'core-scenes only resolves resource type "scene", got "{resource_type}"',
                status=grpc.StatusCode.INVALID_ARGUMENT,
            )
        if resource_id == "missing":
            raise PluginError(f"scene not found: {resource_id}", status=grpc.StatusCode.NOT_FOUND)
        if resource_id == "boom":
            raise RuntimeError("db down")
        return {"owner": "char-1", "participants": ["char-1", "char-2"], "open": True, "size": 2}


async def test_resolver_served_over_grpc():
    resolver = SceneResolver()
    assert isinstance(resolver, AttributeResolver)
    async with (
        serving(lambda server: add_attribute_resolver_to_server(resolver, server)) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        stub = attribute_pb2_grpc.AttributeResolverServiceStub(channel)
        schema = await stub.GetSchema(attribute_pb2.GetSchemaRequest())
        assert dict(schema.resource_types["scene"].attributes) == {
            "owner": attribute_pb2.ATTRIBUTE_TYPE_STRING,
            "participants": attribute_pb2.ATTRIBUTE_TYPE_STRING_LIST,
        }
        assert resolver.schema_thread != threading.get_ident()

        reply = await stub.ResolveResource(
            attribute_pb2.ResolveResourceRequest(resource_type="scene", resource_id="s1")
        )
        values = {k: attribute_value_from_proto(v) for k, v in reply.attributes.items()}
        assert values == {
            "owner": "char-1",
            "participants": ["char-1", "char-2"],
            "open": True,
            "size": 2.0,
        }

        for resource_type, resource_id, code, details in [
            (
                "widget",
                "x",
                grpc.StatusCode.INVALID_ARGUMENT,
                'core-scenes only resolves resource type "scene", got "widget"',
            ),
            ("scene", "missing", grpc.StatusCode.NOT_FOUND, "scene not found: missing"),
            (
                "scene",
                "boom",
                grpc.StatusCode.INTERNAL,
                "resolve resource: RuntimeError: db down",
            ),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.ResolveResource(
                    attribute_pb2.ResolveResourceRequest(
                        resource_type=resource_type, resource_id=resource_id
                    )
                )
            assert (caught.value.code(), caught.value.details()) == (code, details)
