import threading

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from holomush.world.v1 import world_pb2, world_pb2_grpc
from holomush_sdk import Actor, ActorKind, Rule, current_actor, with_actor_metadata
from holomush_sdk.interceptors import ActorMetadataInterceptor, ValidationInterceptor
from holomush_sdk.tests.grpc_helpers import serving
from holomush_sdk.validation import RuleRegistry, RuleValidator


class WhoAmI(world_pb2_grpc.WorldServiceServicer):
    """Reports the current actor back, so the test sees what the handler saw."""

    async def GetLocation(self, request, context):
        actor = current_actor()
        if actor is None:
            return world_pb2.GetLocationResponse()
        return world_pb2.GetLocationResponse(
            location=world_pb2.LocationInfo(id=actor.id, name=str(actor.kind))
        )


async def get_location_as_system(
    servicer: world_pb2_grpc.WorldServiceServicer,
) -> world_pb2.GetLocationResponse:
    """Serve `servicer` behind the actor interceptor; call it once as a system actor."""

    def add(server):
        world_pb2_grpc.add_WorldServiceServicer_to_server(servicer, server)

    async with (
        serving(add, interceptors=[ActorMetadataInterceptor()]) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        stub = world_pb2_grpc.WorldServiceStub(channel)
        request = world_pb2.GetLocationRequest(subject_id="s", location_id="l")
        metadata = with_actor_metadata(None, Actor(ActorKind.SYSTEM, "sys-1"))
        reply = await stub.GetLocation(request, metadata=metadata)
        anonymous = await stub.GetLocation(request)
        assert not anonymous.location.id  # no headers, no actor
        return reply


async def test_actor_interceptor_exposes_caller_actor_to_provided_services():
    reply = await get_location_as_system(WhoAmI())  # type: ignore[abstract]
    assert (reply.location.id, reply.location.name) == ("sys-1", "system")


class WhoAmIPlainDef(world_pb2_grpc.WorldServiceServicer):
    """A plain `def` handler: run in a worker thread, with the caller's actor."""

    def GetLocation(self, request, context):
        actor = current_actor()
        return world_pb2.GetLocationResponse(
            location=world_pb2.LocationInfo(
                id=actor.id if actor else "", name=threading.current_thread().name
            )
        )


async def test_plain_def_handlers_run_off_the_loop_with_the_actor():
    reply = await get_location_as_system(WhoAmIPlainDef())  # type: ignore[abstract]
    assert reply.location.id == "sys-1"
    assert reply.location.name != threading.current_thread().name


class Health(health_pb2_grpc.HealthServicer):  # type: ignore[misc]
    async def Watch(self, request, context):
        yield health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


async def test_validation_also_guards_server_streaming_methods():
    registry = RuleRegistry()
    registry.register(health_pb2.HealthCheckRequest, {"service": Rule(min_len=1)})
    interceptor = ValidationInterceptor(RuleValidator(registry))

    def add(server):
        health_pb2_grpc.add_HealthServicer_to_server(Health(), server)

    async with (
        serving(add, interceptors=[interceptor]) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        stub = health_pb2_grpc.HealthStub(channel)
        replies = [r async for r in stub.Watch(health_pb2.HealthCheckRequest(service="x"))]
        assert [r.status for r in replies] == [health_pb2.HealthCheckResponse.SERVING]
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in stub.Watch(health_pb2.HealthCheckRequest()):
                pass
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert caught.value.details() == (
            "request validation failed: service: value length must be at least 1 characters"
        )
