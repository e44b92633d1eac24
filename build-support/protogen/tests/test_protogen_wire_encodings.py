"""go-plugin's internal messages encode byte for byte like the Go reference.

Hex strings are the reference encodings of go-plugin-wire-protocol.md §3.3.
"""

from google.protobuf.message import Message

from hashicorp.goplugin import grpc_broker_pb2, grpc_controller_pb2, grpc_stdio_pb2


def _roundtrip(message: Message, expected_hex: str) -> None:
    assert message.SerializeToString().hex() == expected_hex
    assert type(message).FromString(bytes.fromhex(expected_hex)) == message


def test_conn_info_with_every_field() -> None:
    message = grpc_broker_pb2.ConnInfo(
        service_id=7,
        network="unix",
        address="/tmp/x",
        knock=grpc_broker_pb2.ConnInfo.Knock(knock=True, ack=True, error="e"),
    )
    _roundtrip(message, "08071204756e69781a062f746d702f782207080110011a0165")


def test_knock_request() -> None:
    message = grpc_broker_pb2.ConnInfo(
        service_id=1, knock=grpc_broker_pb2.ConnInfo.Knock(knock=True)
    )
    _roundtrip(message, "080122020801")


def test_stdio_data_on_stderr() -> None:
    message = grpc_stdio_pb2.StdioData(channel=grpc_stdio_pb2.StdioData.STDERR, data=b"hi")
    _roundtrip(message, "080212026869")


def test_stdio_channel_numbers() -> None:
    assert dict(grpc_stdio_pb2.StdioData.Channel.items()) == {
        "INVALID": 0,
        "STDOUT": 1,
        "STDERR": 2,
    }


def test_controller_empty_is_plugin_empty_and_encodes_to_nothing() -> None:
    assert grpc_controller_pb2.Empty.DESCRIPTOR.full_name == "plugin.Empty"
    assert grpc_controller_pb2.Empty().SerializeToString() == b""
