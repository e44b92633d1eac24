import pytest

from holomush.plugin.v1 import plugin_pb2
from holomush_sdk import (
    AuditEffect,
    AuditHint,
    CommandRequest,
    CommandResponse,
    CommandStatus,
    EmitEvent,
    errorf,
    failuref,
    fatalf,
    ok,
)
from holomush_sdk.commands import (
    command_request_from_proto,
    command_request_to_proto,
    command_response_from_proto,
    command_response_to_proto,
    command_status_from_proto,
    command_status_to_proto,
)


@pytest.mark.parametrize(
    ("status", "proto"),
    [
        (CommandStatus.OK, plugin_pb2.COMMAND_STATUS_OK),
        (CommandStatus.ERROR, plugin_pb2.COMMAND_STATUS_ERROR),
        (CommandStatus.FAILURE, plugin_pb2.COMMAND_STATUS_FAILURE),
        (CommandStatus.FATAL, plugin_pb2.COMMAND_STATUS_FATAL),
    ],
)
def test_status_maps_both_ways_with_proto_offset_of_one(status, proto):
    assert command_status_to_proto(status) == proto
    assert command_status_from_proto(proto) is status
    assert proto == int(status) + 1


@pytest.mark.parametrize("unknown", [-1, 4, 99])
def test_unknown_sdk_status_is_sent_as_ok(unknown):
    assert command_status_to_proto(unknown) == plugin_pb2.COMMAND_STATUS_OK


@pytest.mark.parametrize("value", [plugin_pb2.COMMAND_STATUS_UNSPECIFIED, 5, 1000, -3])
def test_unspecified_and_unknown_proto_status_read_as_ok(value):
    assert command_status_from_proto(value) is CommandStatus.OK


def test_helpers_set_status_and_format_printf_style():
    assert ok("Hello") == CommandResponse(status=CommandStatus.OK, output="Hello")
    assert errorf("unknown subcommand: %s", "x").output == "unknown subcommand: x"
    assert errorf("bad").status is CommandStatus.ERROR
    assert failuref("db %s down for %d s", "main", 3).output == "db main down for 3 s"
    assert failuref("x").status is CommandStatus.FAILURE
    assert fatalf("boom").status is CommandStatus.FATAL


def test_helpers_without_args_keep_percent_signs():
    assert errorf("100% sure").output == "100% sure"


def test_command_request_round_trip_maps_invoked_as_to_raw_input():
    request = CommandRequest(
        command="scene",
        args="join 01X",
        character_id="c",
        character_name="Alice",
        location_id="l",
        session_id="s",
        player_id="p",
        invoked_as="sc",
    )
    message = command_request_to_proto(request)
    assert message.raw_input == "sc"
    assert command_request_from_proto(message) == request


def test_response_serialises_context_hints_before_response_hints():
    response = CommandResponse(
        status=CommandStatus.ERROR,
        output="no",
        events=[EmitEvent("scene:1", "x", '{"a":1}')],
        audit_hints=[AuditHint("from-response", AuditEffect.ALLOW)],
    )
    message = command_response_to_proto(response, [AuditHint("from-context", AuditEffect.DENY)])
    assert message.status == plugin_pb2.COMMAND_STATUS_ERROR
    assert [h.id for h in message.audit_hints] == ["from-context", "from-response"]
    assert [h.effect for h in message.audit_hints] == [
        plugin_pb2.AUDIT_EFFECT_DENY,
        plugin_pb2.AUDIT_EFFECT_ALLOW,
    ]
    back = command_response_from_proto(message)
    assert back.events == response.events
    assert back.output == "no"
    assert back.status is CommandStatus.ERROR
