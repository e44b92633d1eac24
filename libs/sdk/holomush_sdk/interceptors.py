"""Request hooks the SDK runs around every RPC the plugin serves.

- validation: reject an invalid request with InvalidArgument
  ``"request validation failed: <field>: <rule>"`` before any handler runs;
- actor: make the caller's ``x-holomush-actor-*`` headers the current actor for the call,
  so `EventSink.emit` inside a provided service forwards it.

They apply to every service the plugin registers (PluginService, AttributeResolverService
and whatever ``register_services`` adds), and only to calls with a single request message;
client-streaming calls pass through untouched.

Two ways to install them: as ordinary grpc.aio server interceptors
(`ValidationInterceptor`, `ActorMetadataInterceptor`) when you create the server yourself,
or with `HookedServer`, a registrar that wraps each service as it is registered. `serve`
uses the latter because the go-plugin transport creates the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeAlias, cast

import grpc
from google.protobuf.message import Message

from holomush_sdk.actor import actor_from_metadata, actor_scope
from holomush_sdk.validation import RuleValidator, ValidationError, Validator

__all__ = [
    "ActorMetadataInterceptor",
    "HookedServer",
    "RequestHook",
    "ValidationInterceptor",
    "actor_hook",
    "chain_hooks",
    "validation_hook",
    "wrap_method_handler",
]

Context = grpc.aio.ServicerContext[Any, Any]
MethodHandler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"

RequestHook = Callable[[Any, Context], Awaitable[contextlib.AbstractContextManager[None]]]
"""Runs before a handler with its request; may abort the call; returns the context
manager the handler then runs inside."""


def validation_hook(validator: Validator | None = None) -> RequestHook:
    checker = validator if validator is not None else RuleValidator()

    async def check(request: Any, context: Context) -> contextlib.AbstractContextManager[None]:
        if isinstance(request, Message):
            try:
                checker.validate(request)
            except ValidationError as err:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT, f"request validation failed: {err}"
                )
        return contextlib.nullcontext()

    return check


async def actor_hook(_request: Any, context: Context) -> contextlib.AbstractContextManager[None]:
    return actor_scope(actor_from_metadata(context.invocation_metadata()))


def chain_hooks(*hooks: RequestHook) -> RequestHook:
    """Run `hooks` in order; the handler runs inside all their context managers."""

    async def chained(request: Any, context: Context) -> contextlib.AbstractContextManager[None]:
        stack = contextlib.ExitStack()
        try:
            for hook in hooks:
                stack.enter_context(await hook(request, context))
        except BaseException:
            stack.close()
            raise
        return cast(contextlib.AbstractContextManager[None], stack)

    return chained


def _unary_caller(
    behaviour: Callable[..., Any],
) -> Callable[[Any, Context], Awaitable[Any]]:
    """Call `behaviour` on the loop when it is a coroutine function, else in a worker thread
    (decided once, when the method is registered, not on every call)."""
    if inspect.iscoroutinefunction(behaviour):
        return cast(Callable[[Any, Context], Awaitable[Any]], behaviour)

    async def in_thread(request: Any, context: Context) -> Any:
        result = await asyncio.to_thread(behaviour, request, context)
        return await result if inspect.isawaitable(result) else result

    return in_thread


def wrap_method_handler(handler: MethodHandler, hook: RequestHook) -> MethodHandler:
    """A copy of `handler` whose unary-request behaviour runs `hook` first."""
    if handler.request_streaming:
        return handler
    if not handler.response_streaming:
        call = _unary_caller(cast(Callable[..., Any], handler.unary_unary))

        async def unary_unary(request: Any, context: Context) -> Any:
            with await hook(request, context):
                return await call(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    inner_stream = cast(Callable[..., Any], handler.unary_stream)

    async def unary_stream(request: Any, context: Context) -> AsyncIterator[Any]:
        with await hook(request, context):
            result: Any = inner_stream(request, context)
            if hasattr(result, "__aiter__"):
                async for item in result:
                    yield item
            elif inspect.isawaitable(result):
                await result  # the handler writes with context.write()
            else:
                for item in result:
                    yield item

    return grpc.unary_stream_rpc_method_handler(
        unary_stream,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class _HookInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    def __init__(self, hook: RequestHook) -> None:
        self._hook = hook

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[MethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> MethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler  # unknown method: let gRPC answer UNIMPLEMENTED
        return wrap_method_handler(handler, self._hook)


class ValidationInterceptor(_HookInterceptor):
    """Validate each request with `validator` (default: the SDK's rule table)."""

    def __init__(self, validator: Validator | None = None) -> None:
        super().__init__(validation_hook(validator))


class ActorMetadataInterceptor(_HookInterceptor):
    """Expose the caller's ``x-holomush-actor-*`` headers as `current_actor()`."""

    def __init__(self) -> None:
        super().__init__(actor_hook)


class _HookedGenericHandler(grpc.GenericRpcHandler):  # type: ignore[type-arg]
    def __init__(self, inner: grpc.GenericRpcHandler[Any, Any], hook: RequestHook) -> None:
        self._inner = inner
        self._hook = hook
        self._wrapped: dict[str, MethodHandler | None] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> MethodHandler | None:
        method = handler_call_details.method
        if method not in self._wrapped:
            handler = self._inner.service(handler_call_details)
            self._wrapped[method] = (
                None if handler is None else wrap_method_handler(handler, self._hook)
            )
        return self._wrapped[method]


class HookedServer(grpc.aio.Server):
    """A registrar for a server someone else created: every service registered through it
    runs `hook` first. Everything else is delegated to the real server."""

    def __init__(self, server: grpc.aio.Server, hook: RequestHook) -> None:
        self._server = server
        self._hook = hook

    def add_generic_rpc_handlers(
        self, generic_rpc_handlers: Iterable[grpc.GenericRpcHandler[Any, Any]]
    ) -> None:
        self._server.add_generic_rpc_handlers(
            [_HookedGenericHandler(handler, self._hook) for handler in generic_rpc_handlers]
        )

    def add_registered_method_handlers(
        self, service_name: str, method_handlers: Mapping[str, MethodHandler]
    ) -> None:
        # Newer generated code registers each method here too; it takes precedence over
        # the generic handler, so it must be wrapped as well.
        getattr(self._server, "add_registered_method_handlers")(  # noqa: B009 - not in stubs
            service_name,
            {
                name: wrap_method_handler(handler, self._hook)
                for name, handler in method_handlers.items()
            },
        )

    def add_insecure_port(self, address: str) -> int:
        return self._server.add_insecure_port(address)

    def add_secure_port(self, address: str, server_credentials: grpc.ServerCredentials) -> int:
        return self._server.add_secure_port(address, server_credentials)

    async def start(self) -> None:
        await self._server.start()

    async def stop(self, grace: float | None = None) -> None:
        await self._server.stop(grace)

    async def wait_for_termination(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        return await self._server.wait_for_termination(timeout)

    @property
    def wrapped(self) -> grpc.aio.Server:
        """The real server."""
        return self._server
