"""Method paths and field numbers of the generated modules equal the reference contracts.

Paths: go-plugin-wire-protocol.md §3.1; fields: reference-behaviour.md §1.
"""

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from hashicorp.goplugin import (
    grpc_broker_pb2,
    grpc_broker_pb2_grpc,
    grpc_controller_pb2,
    grpc_controller_pb2_grpc,
    grpc_stdio_pb2,
    grpc_stdio_pb2_grpc,
)
from holomush.plugin.v1 import (
    attribute_pb2,
    attribute_pb2_grpc,
    hostfunc_pb2,
    plugin_pb2,
    plugin_pb2_grpc,
)
from holomush.scene.v1 import scene_pb2, scene_pb2_grpc
from holomush.world.v1 import world_pb2, world_pb2_grpc

F = FieldDescriptor


class _RecordingChannel:
    """Stands in for a grpc.Channel and records which path each stub attribute calls."""

    def __init__(self) -> None:
        self.paths: dict[str, str] = {}

    def __getattr__(self, kind: str) -> Callable[..., str]:
        def register(path: str, *_args: Any, **_kwargs: Any) -> str:
            self.paths[path] = kind
            return path

        return register


@pytest.mark.parametrize(
    ("pb2", "pb2_grpc", "service", "expected"),
    [
        (
            grpc_broker_pb2,
            grpc_broker_pb2_grpc,
            "GRPCBroker",
            {"/plugin.GRPCBroker/StartStream": "stream_stream"},
        ),
        (
            grpc_controller_pb2,
            grpc_controller_pb2_grpc,
            "GRPCController",
            {"/plugin.GRPCController/Shutdown": "unary_unary"},
        ),
        (
            grpc_stdio_pb2,
            grpc_stdio_pb2_grpc,
            "GRPCStdio",
            {"/plugin.GRPCStdio/StreamStdio": "unary_stream"},
        ),
        (
            plugin_pb2,
            plugin_pb2_grpc,
            "PluginService",
            {
                f"/holomush.plugin.v1.PluginService/{name}": "unary_unary"
                for name in ("Init", "HandleEvent", "HandleCommand", "QuerySessionStreams")
            },
        ),
        (
            plugin_pb2,
            plugin_pb2_grpc,
            "PluginHostService",
            {
                f"/holomush.plugin.v1.PluginHostService/{name}": "unary_unary"
                for name in (
                    "EmitEvent",
                    "Log",
                    "KVGet",
                    "KVSet",
                    "KVDelete",
                    "AddSessionStream",
                    "RemoveSessionStream",
                    "JoinFocus",
                    "LeaveFocus",
                    "PresentFocus",
                    "QueryStreamHistory",
                )
            },
        ),
        (
            attribute_pb2,
            attribute_pb2_grpc,
            "AttributeResolverService",
            {
                f"/holomush.plugin.v1.AttributeResolverService/{name}": "unary_unary"
                for name in ("GetSchema", "ResolveResource")
            },
        ),
        (
            scene_pb2,
            scene_pb2_grpc,
            "SceneService",
            {
                f"/holomush.scene.v1.SceneService/{name}": "unary_unary"
                for name in (
                    "ListScenes",
                    "GetScene",
                    "CreateScene",
                    "EndScene",
                    "PauseScene",
                    "ResumeScene",
                    "UpdateScene",
                    "JoinScene",
                    "LeaveScene",
                    "InviteToScene",
                    "KickFromScene",
                    "TransferOwnership",
                    "CastPublishVote",
                    "GetPoseOrder",
                )
            },
        ),
        (
            world_pb2,
            world_pb2_grpc,
            "WorldService",
            {
                f"/holomush.world.v1.WorldService/{name}": "unary_unary"
                for name in (
                    "GetLocation",
                    "GetCharacter",
                    "ListCharactersAtLocation",
                    "ListExits",
                )
            },
        ),
    ],
)
def test_method_paths_and_kinds(
    pb2: ModuleType, pb2_grpc: ModuleType, service: str, expected: dict[str, str]
) -> None:
    descriptor = pb2.DESCRIPTOR.services_by_name[service]
    from_descriptor = {
        f"/{descriptor.full_name}/{method.name}": _call_kind(
            method.client_streaming, method.server_streaming
        )
        for method in descriptor.methods
    }
    assert from_descriptor == expected

    channel = _RecordingChannel()
    getattr(pb2_grpc, f"{service}Stub")(channel)
    assert channel.paths == expected


def _call_kind(client_streaming: bool, server_streaming: bool) -> str:
    return (
        f"{'stream' if client_streaming else 'unary'}_{'stream' if server_streaming else 'unary'}"
    )


def test_stdio_takes_google_protobuf_empty() -> None:
    method = grpc_stdio_pb2.DESCRIPTOR.services_by_name["GRPCStdio"].methods_by_name["StreamStdio"]
    assert method.input_type.full_name == "google.protobuf.Empty"
    assert method.output_type.full_name == "plugin.StdioData"


def test_host_functions_service_is_defined() -> None:
    service = hostfunc_pb2.DESCRIPTOR.services_by_name["HostFunctionsService"]
    assert service.full_name == "holomush.plugin.v1.HostFunctionsService"
    assert len(service.methods) == 12


# message -> {field: (number, type, message type full name or "")}; the whole field set.
STRING, INT64, BYTES, ENUM, MSG = (
    F.TYPE_STRING,
    F.TYPE_INT64,
    F.TYPE_BYTES,
    F.TYPE_ENUM,
    F.TYPE_MESSAGE,
)
EXPECTED_FIELDS: list[tuple[Descriptor, dict[str, tuple[int, int, str]]]] = [
    (
        plugin_pb2.CommandRequest.DESCRIPTOR,
        {
            "command": (1, STRING, ""),
            "args": (2, STRING, ""),
            "raw_input": (3, STRING, ""),
            "character_id": (4, STRING, ""),
            "character_name": (5, STRING, ""),
            "location_id": (6, STRING, ""),
            "session_id": (7, STRING, ""),
            "player_id": (8, STRING, ""),
        },
    ),
    (
        plugin_pb2.Event.DESCRIPTOR,
        {
            "id": (1, STRING, ""),
            "stream": (2, STRING, ""),
            "type": (3, STRING, ""),
            "timestamp": (4, INT64, ""),
            "actor_kind": (5, STRING, ""),
            "actor_id": (6, STRING, ""),
            "payload": (7, STRING, ""),
        },
    ),
    (
        plugin_pb2.ServiceConfig.DESCRIPTOR,
        {
            "connection_string": (1, STRING, ""),
            "required_services": (
                2,
                MSG,
                "holomush.plugin.v1.ServiceConfig.RequiredServicesEntry",
            ),
        },
    ),
    (
        plugin_pb2.PluginHostServiceEmitEventRequest.DESCRIPTOR,
        {"stream": (1, STRING, ""), "event_type": (2, STRING, ""), "payload": (3, BYTES, "")},
    ),
    (
        plugin_pb2.PluginHostServiceAddSessionStreamRequest.DESCRIPTOR,
        {"session_id": (1, STRING, ""), "stream": (2, STRING, ""), "replay_mode": (3, ENUM, "")},
    ),
    (
        scene_pb2.SceneInfo.DESCRIPTOR,
        {
            "id": (1, STRING, ""),
            "title": (2, STRING, ""),
            "description": (3, STRING, ""),
            "location_id": (4, STRING, ""),
            "owner_id": (5, STRING, ""),
            "state": (6, STRING, ""),
            "pose_order_mode": (7, STRING, ""),
            "content_warnings": (8, STRING, ""),
            "tags": (9, STRING, ""),
            "visibility": (10, STRING, ""),
            "created_at": (11, MSG, "google.protobuf.Timestamp"),
            "ended_at": (12, MSG, "google.protobuf.Timestamp"),
            "participants": (13, MSG, "holomush.scene.v1.ParticipantInfo"),
        },
    ),
    (
        scene_pb2.UpdateSceneRequest.DESCRIPTOR,
        {
            "character_id": (1, STRING, ""),
            "scene_id": (2, STRING, ""),
            "title": (3, STRING, ""),
            "description": (4, STRING, ""),
            "visibility": (5, STRING, ""),
            "pose_order_mode": (6, STRING, ""),
            "location_id": (7, STRING, ""),
            "content_warnings": (8, STRING, ""),
            "tags": (9, STRING, ""),
            "update_mask": (99, MSG, "google.protobuf.FieldMask"),
        },
    ),
    (
        world_pb2.ExitInfo.DESCRIPTOR,
        {
            "id": (1, STRING, ""),
            "name": (2, STRING, ""),
            "from_location_id": (3, STRING, ""),
            "to_location_id": (4, STRING, ""),
            "bidirectional": (5, F.TYPE_BOOL, ""),
            "return_name": (6, STRING, ""),
            "locked": (7, F.TYPE_BOOL, ""),
        },
    ),
]


@pytest.mark.parametrize(
    ("message", "expected"), EXPECTED_FIELDS, ids=[m.name for m, _ in EXPECTED_FIELDS]
)
def test_field_numbers_and_types(
    message: Descriptor, expected: dict[str, tuple[int, int, str]]
) -> None:
    actual = {
        field.name: (
            field.number,
            field.type,
            field.message_type.full_name if field.message_type else "",
        )
        for field in message.fields
    }
    assert actual == expected


def test_repeated_fields() -> None:
    scene = scene_pb2.SceneInfo.DESCRIPTOR.fields_by_name
    repeated = {name for name, field in scene.items() if field.is_repeated}
    assert repeated == {"content_warnings", "tags", "participants"}


def test_enum_numbers() -> None:
    assert dict(plugin_pb2.CommandStatus.items()) == {
        "COMMAND_STATUS_UNSPECIFIED": 0,
        "COMMAND_STATUS_OK": 1,
        "COMMAND_STATUS_ERROR": 2,
        "COMMAND_STATUS_FAILURE": 3,
        "COMMAND_STATUS_FATAL": 4,
    }
    assert dict(plugin_pb2.FocusKind.items()) == {
        "FOCUS_KIND_UNSPECIFIED": 0,
        "FOCUS_KIND_SCENE": 1,
    }
    assert dict(plugin_pb2.StreamReplayMode.items()) == {
        "STREAM_REPLAY_MODE_UNSPECIFIED": 0,
        "STREAM_REPLAY_MODE_FROM_CURSOR": 1,
        "STREAM_REPLAY_MODE_LIVE_ONLY": 2,
    }


def test_reference_encoding_of_a_command_request() -> None:
    # Hand-computed from the field numbers: tag = number << 3 | wire type 2.
    request = plugin_pb2.CommandRequest(command="scene", player_id="p")
    assert request.SerializeToString().hex() == "0a057363656e65" + "420170"
