"""The reference encodings of wire protocol §3.3 and the internal method paths."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from hashicorp.goplugin import grpc_broker_pb2_grpc, grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc
from hashicorp.goplugin.grpc_broker_pb2 import ConnInfo
from hashicorp.goplugin.grpc_controller_pb2 import Empty
from hashicorp.goplugin.grpc_stdio_pb2 import StdioData


def _conn_info_with_knock() -> ConnInfo:
    info = ConnInfo(service_id=7, network="unix", address="/tmp/x")
    info.knock.knock = True
    info.knock.ack = True
    info.knock.error = "e"
    return info


def _knock_request() -> ConnInfo:
    info = ConnInfo(service_id=1)
    info.knock.knock = True
    return info


@pytest.mark.parametrize(
    ("message", "hex_encoding"),
    [
        (_conn_info_with_knock(), "08 07 12 04 756e6978 1a 06 2f746d702f78 22 07 0801 1001 1a0165"),
        (_knock_request(), "08 01 22 02 08 01"),
        (StdioData(channel=StdioData.STDERR, data=b"hi"), "08 02 12 02 6869"),
        (Empty(), ""),
    ],
)
def test_reference_encodings(message: ConnInfo | StdioData | Empty, hex_encoding: str) -> None:
    expected = bytes.fromhex(hex_encoding.replace(" ", ""))
    assert message.SerializeToString() == expected
    assert type(message).FromString(expected) == message


class _RecordingServer:
    """Collects the method paths that generated add_*_to_server functions register."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def add_generic_rpc_handlers(
        self, handlers: tuple[grpc.GenericRpcHandler[Any, Any], ...]
    ) -> None:
        pass

    def add_registered_method_handlers(self, service: str, handlers: dict[str, object]) -> None:
        self.paths.extend(f"/{service}/{method}" for method in handlers)


def test_internal_method_paths() -> None:
    server: Any = _RecordingServer()
    servicer: Any = _Stub()
    grpc_broker_pb2_grpc.add_GRPCBrokerServicer_to_server(servicer, server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(servicer, server)
    grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(servicer, server)
    assert server.paths == [
        "/plugin.GRPCBroker/StartStream",
        "/plugin.GRPCController/Shutdown",
        "/plugin.GRPCStdio/StreamStdio",
    ]


class _Stub:
    """Has every method name the generated registration functions look up."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args: None
