"""The host's calls into a running plugin: HandleCommand and HandleEvent.

Each call is tracked as in flight at the plugin while it runs (see
`holomush_host.services.call_context`) and carries its actor as ``x-holomush-actor-*``
metadata. gRPC failures become `PluginCallError` with a message a player can read.
"""

from __future__ import annotations

import asyncio
import contextlib

import grpc
import grpc.aio

from holomush.plugin.v1 import plugin_pb2
from holomush_host.data.event_types import StoredEvent
from holomush_host.data.world import character_stream, location_stream
from holomush_host.plugins.errors import PluginCallError, PluginUnavailableError
from holomush_host.plugins.instance import PluginInstance
from holomush_host.services.call_context import CallContext, CallKind, InFlightCalls
from holomush_host.services.channel_loss import channel_loss
from holomush_host.services.event_protos import stored_event_to_proto
from holomush_sdk.actor import Actor, with_actor_metadata
from holomush_sdk.commands import (
    CommandRequest,
    CommandResponse,
    command_request_to_proto,
    command_response_from_proto,
)
from holomush_sdk.events import ActorKind, EmitEvent, emit_event_from_proto
from holomush_sdk.validation import RuleValidator, ValidationError

__all__ = ["call_handle_command", "call_handle_event", "restarting_message"]

_VALIDATOR = RuleValidator()
_EXIT_GRACE = 0.5  # how long a failed call waits to see whether the process is exiting


def restarting_message(plugin: str) -> str:
    return f"{plugin} is restarting; try again in a moment."


def _invalid_command(plugin: str, err: ValidationError) -> PluginCallError:
    """Commands are validated like RPCs; only an over-long line is the player's doing."""
    too_long = {"command.args", "command.raw_input"}
    if any(violation.field in too_long for violation in err.violations):
        return PluginCallError(
            plugin, "That command is too long (at most 8192 characters).", detail=str(err)
        )
    return PluginCallError(plugin, f"{plugin} cannot take that command.", detail=str(err))


def _lost(plugin: str) -> PluginUnavailableError:
    return PluginUnavailableError(plugin, restarting_message(plugin))


async def call_handle_command(
    plugin: str,
    instance: PluginInstance,
    calls: InFlightCalls,
    request: CommandRequest,
    *,
    call_timeout: float,
) -> CommandResponse:
    message = plugin_pb2.HandleCommandRequest(command=command_request_to_proto(request))
    try:
        _VALIDATOR.validate(message)
    except ValidationError as err:
        raise _invalid_command(plugin, err) from None
    actor = Actor(ActorKind.CHARACTER, request.character_id)
    context = CallContext(
        CallKind.COMMAND,
        actor,
        depth=0,
        session_id=request.session_id,
        streams=(character_stream(request.character_id), location_stream(request.location_id)),
    )
    with calls.track(context), channel_loss(lambda: _lost(plugin)):
        try:
            reply = await instance.service.HandleCommand(
                message, timeout=call_timeout, metadata=with_actor_metadata(None, actor)
            )
        except grpc.aio.AioRpcError as err:
            raise await _call_error(
                plugin, instance, err, f"command {request.command!r}", call_timeout
            ) from None
    return command_response_from_proto(reply.response)


async def call_handle_event(
    plugin: str,
    instance: PluginInstance,
    calls: InFlightCalls,
    event: StoredEvent,
    *,
    depth: int,
    call_timeout: float,
) -> list[EmitEvent]:
    """Deliver ``event`` (at chain ``depth``); return what the plugin wants emitted."""
    context = CallContext(CallKind.EVENT, event.actor, depth=depth + 1, streams=(event.stream,))
    with calls.track(context), channel_loss(lambda: _lost(plugin)):
        try:
            reply = await instance.service.HandleEvent(
                plugin_pb2.HandleEventRequest(event=stored_event_to_proto(event)),
                timeout=call_timeout,
                metadata=with_actor_metadata(None, event.actor),
            )
        except grpc.aio.AioRpcError as err:
            raise await _call_error(
                plugin, instance, err, f"event {event.id}", call_timeout
            ) from None
    return [emit_event_from_proto(emit) for emit in reply.emit_events]


async def _call_error(
    plugin: str,
    instance: PluginInstance,
    err: grpc.aio.AioRpcError,
    what: str,
    deadline: float,
) -> PluginCallError | PluginUnavailableError:
    code = err.code()
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return PluginCallError(
            plugin,
            f"{plugin} did not answer in time; try again in a moment.",
            detail=f"{plugin} did not answer {what} within {deadline:g} s",
        )
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED) and await _exiting(
        instance
    ):
        return PluginUnavailableError(plugin, restarting_message(plugin))
    return PluginCallError(
        plugin,
        f"{plugin} could not handle that; the problem has been logged.",
        detail=f"{plugin} failed {what}: {code.name}: {err.details()}",
    )


async def _exiting(instance: PluginInstance) -> bool:
    """Whether the process ended (a failed call is often the first sign)."""
    if instance.client.exited:
        return True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(instance.client.wait_exit(), _EXIT_GRACE)
    return instance.client.exited
