"""HoloMUSH plugin SDK: write a binary plugin in Python.

A plugin is a program the HoloMUSH host starts and talks to over gRPC (HashiCorp
go-plugin's protocol). You write a handler object and hand it to `serve`; the SDK does the
handshake, the transport and the wire types. A minimal plugin (``plugin.yaml`` declares
``commands: [{name: greet}]``)::

    from holomush_sdk import CommandRequest, CommandResponse, Event, EmitEvent
    from holomush_sdk import ServeConfig, errorf, ok, serve

    class Greeter:
        async def handle_event(self, event: Event) -> list[EmitEvent]:
            return []                      # react to events; return events to emit

        async def handle_command(self, req: CommandRequest) -> CommandResponse:
            if req.command == "greet":
                return ok(f"Hello, {req.character_name}!")
            return errorf("unknown command: %s", req.command)

    if __name__ == "__main__":
        serve(ServeConfig(handler=Greeter()))

What else there is, in the order you will need it:

- Handlers may be ``async def`` (preferred) or plain ``def`` (run in a worker thread).
- `CommandResponse` / `CommandStatus`: build them with `ok`, `errorf`, `failuref`, `fatalf`.
  Record audit decisions inside a command with ``audit().deny(id, message, attrs)``.
- Services: a plugin whose manifest ``provides`` or ``requires`` services, or declares
  ``storage: postgres``, uses `serve_with_services` with a `ServiceProvider`: it registers
  its gRPC servicers in ``register_services(server)`` (called *before* Init, so create the
  servicer objects in ``__init__``) and gets a `ServiceConfig` in ``async def init(config)``:
  ``config.connection_string`` (its Postgres schema; see `holomush_sdk.storage`),
  ``await config.services.dial("holomush.world.v1.WorldService", WorldServiceStub)`` for a
  typed client of a required service, and ``config.host`` for the host's API (``events``,
  ``focus``, ``kv``, ``log``, ``session_streams``).
- Implement ``set_event_sink(sink)`` (`EventSinkAware`) and/or ``set_focus_client(client)``
  (`FocusClientAware`) to have an `EventSink` / `FocusClient` injected before ``init``.
  A `serve` plugin (no provider) may define these and ``init(config)`` on its handler.
  Focus failures raise `FocusError` with a `FocusErrorCode`; pass ``exist_ok=True`` to
  `join_focus` to treat FOCUS_ALREADY_MEMBER as success.
- Raise `PluginError(message, code=..., status=grpc.StatusCode...)` from any handler to
  return a coded gRPC error.
- Requests are validated against `holomush_sdk.validation` rules before your code sees
  them; register rules for the messages of services you provide with `register_rules`.
- Own ABAC resource types? Give your handler ``attribute_resolver()`` returning an
  `AttributeResolver` (``get_schema`` + ``resolve_resource``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from holomush_sdk.actor import (
        ACTOR_ID_METADATA_KEY,
        ACTOR_KIND_METADATA_KEY,
        Actor,
        actor_from_metadata,
        actor_scope,
        current_actor,
        with_actor_metadata,
    )
    from holomush_sdk.attributes import (
        AttributeResolver,
        AttributeResolverProvider,
        AttributeSchema,
        AttributeType,
        AttributeValue,
        add_attribute_resolver_to_server,
    )
    from holomush_sdk.auditing import (
        AuditEffect,
        AuditHint,
        AuditRecorder,
        audit,
    )
    from holomush_sdk.broker_services import (
        PLUGIN_HOST_SERVICE_NAME,
        BrokerServiceError,
        RequiredServices,
        broker_service_id,
        parse_broker_services,
    )
    from holomush_sdk.commands import (
        CommandRequest,
        CommandResponse,
        CommandStatus,
        errorf,
        failuref,
        fatalf,
        ok,
    )
    from holomush_sdk.config import ServiceConfig
    from holomush_sdk.errors import (
        HostCallError,
        PluginConfigError,
        PluginError,
    )
    from holomush_sdk.event_sink import (
        EventSink,
        EventSinkAware,
    )
    from holomush_sdk.events import (
        ActorKind,
        EmitEvent,
        EmitIntent,
        Event,
        EventType,
    )
    from holomush_sdk.focus import (
        FocusClient,
        FocusClientAware,
        FocusError,
        FocusErrorCode,
        FocusKey,
        FocusKind,
        QueryStreamHistoryRequest,
    )
    from holomush_sdk.host_clients import (
        HostKV,
        HostLog,
        HostSessionStreams,
        LogLevel,
        PluginHost,
        StreamReplayMode,
    )
    from holomush_sdk.interfaces import (
        CommandHandler,
        Handler,
        Initializer,
        ServiceProvider,
        SessionStreamsProvider,
    )
    from holomush_sdk.serving import (
        ServeConfig,
        serve,
        serve_async,
        serve_with_services,
    )
    from holomush_sdk.validation import (
        Rule,
        ValidationError,
        Validator,
        register_rules,
    )

# Where each public name lives. Imported on first use (PEP 562), so that a program that needs
# only part of the SDK (the go-plugin transport, say) does not pay for the rest at start-up.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "holomush_sdk.actor": (
        "ACTOR_ID_METADATA_KEY",
        "ACTOR_KIND_METADATA_KEY",
        "Actor",
        "actor_from_metadata",
        "actor_scope",
        "current_actor",
        "with_actor_metadata",
    ),
    "holomush_sdk.attributes": (
        "AttributeResolver",
        "AttributeResolverProvider",
        "AttributeSchema",
        "AttributeType",
        "AttributeValue",
        "add_attribute_resolver_to_server",
    ),
    "holomush_sdk.auditing": (
        "AuditEffect",
        "AuditHint",
        "AuditRecorder",
        "audit",
    ),
    "holomush_sdk.broker_services": (
        "PLUGIN_HOST_SERVICE_NAME",
        "BrokerServiceError",
        "RequiredServices",
        "broker_service_id",
        "parse_broker_services",
    ),
    "holomush_sdk.commands": (
        "CommandRequest",
        "CommandResponse",
        "CommandStatus",
        "errorf",
        "failuref",
        "fatalf",
        "ok",
    ),
    "holomush_sdk.config": ("ServiceConfig",),
    "holomush_sdk.errors": (
        "HostCallError",
        "PluginConfigError",
        "PluginError",
    ),
    "holomush_sdk.event_sink": (
        "EventSink",
        "EventSinkAware",
    ),
    "holomush_sdk.events": (
        "ActorKind",
        "EmitEvent",
        "EmitIntent",
        "Event",
        "EventType",
    ),
    "holomush_sdk.focus": (
        "FocusClient",
        "FocusClientAware",
        "FocusError",
        "FocusErrorCode",
        "FocusKey",
        "FocusKind",
        "QueryStreamHistoryRequest",
    ),
    "holomush_sdk.host_clients": (
        "HostKV",
        "HostLog",
        "HostSessionStreams",
        "LogLevel",
        "PluginHost",
        "StreamReplayMode",
    ),
    "holomush_sdk.interfaces": (
        "CommandHandler",
        "Handler",
        "Initializer",
        "ServiceProvider",
        "SessionStreamsProvider",
    ),
    "holomush_sdk.serving": (
        "ServeConfig",
        "serve",
        "serve_async",
        "serve_with_services",
    ),
    "holomush_sdk.validation": (
        "Rule",
        "ValidationError",
        "Validator",
        "register_rules",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "ACTOR_ID_METADATA_KEY",
    "ACTOR_KIND_METADATA_KEY",
    "PLUGIN_HOST_SERVICE_NAME",
    "Actor",
    "ActorKind",
    "AttributeResolver",
    "AttributeResolverProvider",
    "AttributeSchema",
    "AttributeType",
    "AttributeValue",
    "AuditEffect",
    "AuditHint",
    "AuditRecorder",
    "BrokerServiceError",
    "CommandHandler",
    "CommandRequest",
    "CommandResponse",
    "CommandStatus",
    "EmitEvent",
    "EmitIntent",
    "Event",
    "EventSink",
    "EventSinkAware",
    "EventType",
    "FocusClient",
    "FocusClientAware",
    "FocusError",
    "FocusErrorCode",
    "FocusKey",
    "FocusKind",
    "Handler",
    "HostCallError",
    "HostKV",
    "HostLog",
    "HostSessionStreams",
    "Initializer",
    "LogLevel",
    "PluginConfigError",
    "PluginError",
    "PluginHost",
    "QueryStreamHistoryRequest",
    "RequiredServices",
    "Rule",
    "ServeConfig",
    "ServiceConfig",
    "ServiceProvider",
    "SessionStreamsProvider",
    "StreamReplayMode",
    "ValidationError",
    "Validator",
    "actor_from_metadata",
    "actor_scope",
    "add_attribute_resolver_to_server",
    "audit",
    "broker_service_id",
    "current_actor",
    "errorf",
    "failuref",
    "fatalf",
    "ok",
    "parse_broker_services",
    "register_rules",
    "serve",
    "serve_async",
    "serve_with_services",
    "with_actor_metadata",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))
