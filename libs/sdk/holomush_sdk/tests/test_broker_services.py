import asyncio

import grpc
import pytest

from holomush_sdk import (
    PLUGIN_HOST_SERVICE_NAME,
    BrokerServiceError,
    PluginError,
    RequiredServices,
    broker_service_id,
    parse_broker_services,
)
from holomush_sdk.tests.grpc_helpers import AddressBroker


def test_plugin_host_service_name():
    assert PLUGIN_HOST_SERVICE_NAME == "holomush.plugin.v1.PluginHostService"


def test_parse_valid_map_and_empty_map():
    assert parse_broker_services({}) == {}
    assert parse_broker_services(
        {PLUGIN_HOST_SERVICE_NAME: "broker:1", "w": "broker:4294967295"}
    ) == {PLUGIN_HOST_SERVICE_NAME: 1, "w": 4294967295}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1", 'service "svc": expected "broker:" prefix, got "1"'),
        ("Broker:1", 'service "svc": expected "broker:" prefix, got "Broker:1"'),
        ("", 'service "svc": expected "broker:" prefix, got ""'),
        (
            "broker:",
            'service "svc": invalid broker ID "": strconv.ParseUint: parsing "": invalid syntax',
        ),
        (
            "broker:abc",
            'service "svc": invalid broker ID "abc": strconv.ParseUint: parsing "abc": invalid syntax',
        ),
        (
            "broker:-1",
            'service "svc": invalid broker ID "-1": strconv.ParseUint: parsing "-1": invalid syntax',
        ),
        (
            "broker:+1",
            'service "svc": invalid broker ID "+1": strconv.ParseUint: parsing "+1": invalid syntax',
        ),
        (
            "broker: 1",
            'service "svc": invalid broker ID " 1": strconv.ParseUint: parsing " 1": invalid syntax',
        ),
        (
            "broker:4294967296",
            'service "svc": invalid broker ID "4294967296": strconv.ParseUint: parsing '
            '"4294967296": value out of range',
        ),
    ],
)
def test_parse_errors_use_the_reference_texts(value, message):
    with pytest.raises(BrokerServiceError) as caught:
        parse_broker_services({"svc": value})
    assert str(caught.value) == message


def test_error_text_quotes_like_go():
    with pytest.raises(BrokerServiceError) as caught:
        parse_broker_services({'a"b\n': "x\t"})
    assert str(caught.value) == 'service "a\\"b\\n": expected "broker:" prefix, got "x\\t"'


def test_broker_service_id_finds_name_and_reports_missing_or_malformed():
    services = {PLUGIN_HOST_SERVICE_NAME: "broker:1", "w": "broker:2"}
    assert broker_service_id(services, "w") == 2
    with pytest.raises(BrokerServiceError) as caught:
        broker_service_id(services, "nope")
    assert str(caught.value) == 'service "nope" not found in required services'
    with pytest.raises(BrokerServiceError, match="expected"):
        broker_service_id({**services, "bad": "x"}, "w")


async def test_required_services_dial_each_service_once_and_share_the_channel():
    broker = AddressBroker({1: "127.0.0.1:1", 2: "127.0.0.1:2"})
    services = RequiredServices.from_config({"a": "broker:1", "b": "broker:2"}, broker)
    services.start()
    first, second, other = await asyncio.gather(
        services.channel("a"), services.channel("a"), services.channel("b")
    )
    assert first is second
    assert first is not other
    stub = await services.dial("a", lambda channel: ("stub", channel))
    assert stub == ("stub", first)
    assert sorted(broker.dials) == [1, 2]
    assert services.broker_ids == {"a": 1, "b": 2}
    assert "a" in services
    await services.close()


async def test_required_services_errors():
    services = RequiredServices.from_config({"a": "broker:9"}, AddressBroker({}))
    with pytest.raises(BrokerServiceError, match='service "zzz" not found in required services'):
        await services.channel("zzz")
    with pytest.raises(PluginError) as caught:
        await services.channel("a")
    assert caught.value.code == "PLUGIN_SERVICE_DIAL_FAILED"
    assert str(caught.value) == "dial a (broker:9): timeout waiting for connection info"

    no_broker = RequiredServices({"a": 1}, None)
    with pytest.raises(PluginError, match="plugin host broker is not configured"):
        await no_broker.channel("a")


async def test_dial_gives_a_working_typed_stub():
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    from holomush_sdk.tests.grpc_helpers import serving

    servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
    await servicer.set("plugin", health_pb2.HealthCheckResponse.SERVING)

    def add(server: grpc.aio.Server) -> None:
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)

    async with serving(add) as address:
        services = RequiredServices({"grpc.health.v1.Health": 3}, AddressBroker({3: address}))
        stub = await services.dial("grpc.health.v1.Health", health_pb2_grpc.HealthStub)
        reply = await stub.Check(health_pb2.HealthCheckRequest(service="plugin"))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        await services.close()
