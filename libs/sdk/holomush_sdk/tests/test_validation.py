import grpc
import pytest
from google.protobuf import struct_pb2
from google.protobuf.message import Message

from holomush.plugin.v1 import attribute_pb2, plugin_pb2, plugin_pb2_grpc
from holomush_sdk import Rule, ValidationError, register_rules
from holomush_sdk.interceptors import ValidationInterceptor
from holomush_sdk.tests.grpc_helpers import serving
from holomush_sdk.validation import DEFAULT_RULES, RuleRegistry, RuleValidator


def valid_command(**overrides: str) -> plugin_pb2.CommandRequest:
    fields = {
        "command": "scene",
        "args": "join 1",
        "raw_input": "scene",
        "character_id": "c",
        "character_name": "Alice",
        "location_id": "l",
        "session_id": "s",
        "player_id": "p",
    }
    fields.update(overrides)
    return plugin_pb2.CommandRequest(**fields)


def violations(message: Message) -> list[str]:
    return [str(v) for v in DEFAULT_RULES.violations(message)]


def test_valid_requests_pass():
    RuleValidator().validate(plugin_pb2.HandleCommandRequest(command=valid_command()))
    RuleValidator().validate(plugin_pb2.InitRequest())


@pytest.mark.parametrize(
    "field", ["command", "character_id", "character_name", "location_id", "session_id", "player_id"]
)
def test_command_request_required_fields_are_checked_when_nested(field):
    request = plugin_pb2.HandleCommandRequest(command=valid_command(**{field: ""}))
    assert violations(request) == [f"command.{field}: value length must be at least 1 characters"]


def test_max_lengths_count_characters():
    assert violations(valid_command(args="é" * 8192)) == []
    assert violations(valid_command(args="x" * 8193, raw_input="y" * 8193)) == [
        "args: value length must be at most 8192 characters",
        "raw_input: value length must be at most 8192 characters",
    ]


def test_missing_nested_message_is_required():
    assert violations(plugin_pb2.HandleCommandRequest()) == ["command: value is required"]
    assert violations(plugin_pb2.HandleEventRequest()) == ["event: value is required"]


def test_event_rules():
    event = plugin_pb2.Event(payload="x" * 65537)
    assert violations(plugin_pb2.HandleEventRequest(event=event)) == [
        "event.id: value length must be at least 1 characters",
        "event.stream: value length must be at least 1 characters",
        "event.type: value length must be at least 1 characters",
        "event.actor_kind: value length must be at least 1 characters",
        "event.actor_id: value length must be at least 1 characters",
        "event.payload: value length must be at most 65536 characters",
    ]


def test_repeated_nested_messages_are_indexed():
    response = plugin_pb2.CommandResponse(
        events=[plugin_pb2.EmitEvent(stream="a:1", type="t"), plugin_pb2.EmitEvent(type="t")],
        audit_hints=[plugin_pb2.AuditDecisionHint(id="x" * 129)],
    )
    assert violations(response) == [
        "events[1].stream: value length must be at least 1 characters",
        "audit_hints[0].id: value length must be at most 128 characters",
    ]


def test_focus_requests_need_a_target_with_an_id():
    assert violations(plugin_pb2.PluginHostServiceJoinFocusRequest(session_id="s")) == [
        "target: value is required"
    ]
    request = plugin_pb2.PluginHostServicePresentFocusRequest(
        session_id="s", target=plugin_pb2.FocusKey(kind=plugin_pb2.FOCUS_KIND_SCENE)
    )
    assert violations(request) == ["target.target_id: value length must be at least 1 characters"]
    assert violations(attribute_pb2.ResolveResourceRequest(resource_type="scene")) == [
        "resource_id: value length must be at least 1 characters"
    ]


def test_rule_kinds_on_a_custom_registry():
    # google.protobuf.Struct/Value/ListValue give string, number, bool, repeated and map fields.
    registry = RuleRegistry()
    registry.register(struct_pb2.Value, {"string_value": Rule(choices=("", "open", "private"))})
    registry.register(struct_pb2.ListValue, {"values": Rule(min_items=1, max_items=2)})
    registry.register(
        struct_pb2.Value, {"number_value": Rule(gte=0, lte=200), "bool_value": Rule(required=True)}
    )

    ok = struct_pb2.Value(string_value="open")
    assert [str(v) for v in registry.violations(ok)] == ["bool_value: value is required"]

    bad = struct_pb2.Value(string_value="secret")
    assert 'string_value: value must be one of ["", "open", "private"]' in [
        str(v) for v in registry.violations(bad)
    ]
    assert "number_value: value must be less than or equal to 200" in [
        str(v) for v in registry.violations(struct_pb2.Value(number_value=201))
    ]
    assert "number_value: value must be greater than or equal to 0" in [
        str(v) for v in registry.violations(struct_pb2.Value(number_value=-0.5))
    ]

    three = struct_pb2.ListValue(values=[struct_pb2.Value(bool_value=True)] * 3)
    assert [str(v) for v in registry.violations(three)] == [
        "values: value must contain no more than 2 item(s)"
    ]
    assert [str(v) for v in registry.violations(struct_pb2.ListValue())] == [
        "values: value must contain at least 1 item(s)"
    ]

    nested = struct_pb2.Struct(fields={"k": struct_pb2.Value(string_value="secret")})
    paths = [v.field for v in registry.violations(nested)]
    assert 'fields["k"].string_value' in paths


def test_rules_registered_after_a_check_apply_to_the_next_one():
    # Struct → Value → ListValue → Value is a cycle; the walk is planned on the first check.
    registry = RuleRegistry()
    deep = struct_pb2.Struct(
        fields={
            "k": struct_pb2.Value(
                list_value=struct_pb2.ListValue(values=[struct_pb2.Value(string_value="x")])
            )
        }
    )
    assert registry.violations(deep) == []
    registry.register(struct_pb2.Value, {"string_value": Rule(min_len=2)})
    assert [v.field for v in registry.violations(deep)] == [
        'fields["k"].string_value',  # the list's holder: an empty string is too short too
        'fields["k"].list_value.values[0].string_value',
    ]


def test_nul_free_text_covers_every_string_field_and_list_item():
    registry = RuleRegistry()
    registry.register(plugin_pb2.InitResponse, {}, nul_free_text=True)
    registry.register(plugin_pb2.Event, {"stream": Rule(min_len=1)}, nul_free_text=True)
    message = plugin_pb2.InitResponse(provided_services=["ok", "b\x00d"])
    assert [str(v) for v in registry.violations(message)] == [
        "provided_services[1]: value must not contain NUL characters"
    ]
    # Nested: the walk reaches a registered type inside an unregistered one.
    nested = plugin_pb2.HandleEventRequest(event=plugin_pb2.Event(stream="\x00", type="say\x00"))
    assert [str(v) for v in registry.violations(nested)] == [
        "event.stream: value must not contain NUL characters",
        "event.type: value must not contain NUL characters",
    ]
    emit = plugin_pb2.PluginHostServiceEmitEventRequest(payload=b"\x00")
    registry.register(plugin_pb2.PluginHostServiceEmitEventRequest, {}, nul_free_text=True)
    assert registry.violations(emit) == []  # bytes are not text
    assert RuleRegistry().violations(nested) == []  # off unless asked for


def test_items_rule_and_bytes_lengths():
    registry = RuleRegistry()
    registry.register(
        plugin_pb2.InitResponse, {"provided_services": Rule(items=Rule(min_len=1, max_len=3))}
    )
    registry.register(plugin_pb2.PluginHostServiceEmitEventRequest, {"payload": Rule(max_len=2)})
    message = plugin_pb2.InitResponse(provided_services=["ok", "", "toolong"])
    assert [str(v) for v in registry.violations(message)] == [
        "provided_services[1]: value length must be at least 1 characters",
        "provided_services[2]: value length must be at most 3 characters",
    ]
    emit = plugin_pb2.PluginHostServiceEmitEventRequest(payload=b"abc")
    assert [str(v) for v in registry.violations(emit)] == [
        "payload: value length must be at most 2 bytes"
    ]


def test_registering_an_unknown_field_is_an_error():
    with pytest.raises(ValueError, match=r"holomush\.plugin\.v1\.Event has no field"):
        register_rules(plugin_pb2.Event, {"nope": Rule(min_len=1)})


def test_validation_error_lists_every_violation():
    with pytest.raises(ValidationError) as caught:
        RuleValidator().validate(valid_command(command="", player_id=""))
    assert str(caught.value) == (
        "command: value length must be at least 1 characters; "
        "player_id: value length must be at least 1 characters"
    )
    assert caught.value.status is grpc.StatusCode.INVALID_ARGUMENT
    assert len(caught.value.violations) == 2


def test_a_long_list_of_violations_is_named_in_part():
    registry = RuleRegistry()
    registry.register(plugin_pb2.InitResponse, {"provided_services": Rule(items=Rule(min_len=1))})
    with pytest.raises(ValidationError) as caught:
        RuleValidator(registry).validate(plugin_pb2.InitResponse(provided_services=[""] * 300))
    assert len(caught.value.violations) == 300  # all of them, for code that wants them
    assert str(caught.value) == (
        "; ".join(
            f"provided_services[{i}]: value length must be at least 1 characters" for i in range(5)
        )
        + " (and 295 more)"
    )


def test_items_of_a_list_over_its_size_limit_are_not_checked_one_by_one():
    registry = RuleRegistry()
    registry.register(
        plugin_pb2.InitResponse, {"provided_services": Rule(max_items=2, items=Rule(min_len=1))}
    )
    message = plugin_pb2.InitResponse(provided_services=[""] * 300)
    assert [str(v) for v in registry.violations(message)] == [
        "provided_services: value must contain no more than 2 item(s)"
    ]


class RecordingPluginService(plugin_pb2_grpc.PluginServiceServicer):
    def __init__(self) -> None:
        self.calls = 0

    async def HandleCommand(self, request, context):
        self.calls += 1
        return plugin_pb2.HandleCommandResponse()


async def test_interceptor_rejects_invalid_requests_before_the_handler():
    service = RecordingPluginService()  # type: ignore[abstract]

    def add(server):
        plugin_pb2_grpc.add_PluginServiceServicer_to_server(service, server)

    async with (
        serving(add, interceptors=[ValidationInterceptor()]) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        stub = plugin_pb2_grpc.PluginServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.HandleCommand(
                plugin_pb2.HandleCommandRequest(command=valid_command(location_id=""))
            )
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert caught.value.details() == (
            "request validation failed: command.location_id: "
            "value length must be at least 1 characters"
        )
        assert service.calls == 0
        await stub.HandleCommand(plugin_pb2.HandleCommandRequest(command=valid_command()))
        assert service.calls == 1
        # Unregistered methods still answer UNIMPLEMENTED through the interceptor.
        with pytest.raises(grpc.aio.AioRpcError) as unimplemented:
            await stub.Init(plugin_pb2.InitRequest())
        assert unimplemented.value.code() is grpc.StatusCode.UNIMPLEMENTED
