"""A transparent gRPC proxy: forwards any method's raw bytes to another channel.

`GrpcForwarder` is a ``grpc.GenericRpcHandler``. Every call it accepts is handled as a
bidirectional stream of undecoded messages, which carries unary, server-streaming,
client-streaming and bidirectional calls alike (HTTP/2 framing is the same; the upstream
server enforces the method's cardinality). Forwarded: request and response messages,
metadata (minus transport headers), the caller's deadline, the upstream's initial and
trailing metadata, and its final status. A caller that cancels cancels the upstream call.

Used twice: on the host's public port (external clients → a plugin's provided service)
and on a plugin's broker (a plugin → a service another plugin provides).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeAlias

import grpc
import grpc.aio

from holomush_host.services.channel_loss import channel_loss
from holomush_host.services.service_registry import ServiceRouteError
from holomush_sdk.actor import ACTOR_ID_METADATA_KEY, ACTOR_KIND_METADATA_KEY

__all__ = [
    "ForwardHook",
    "GrpcForwarder",
    "Metadata",
    "RouteResolver",
    "split_method",
    "strip_actor_metadata",
]

Metadata: TypeAlias = Sequence[tuple[str, str | bytes]]
RouteResolver = Callable[[str], grpc.aio.Channel]
"""service name → channel to forward to; raises ``ServiceRouteError`` to refuse."""
ForwardHook = Callable[[str, Metadata], tuple[Metadata, contextlib.AbstractContextManager[Any]]]
"""``(service, caller metadata) -> (metadata to send, context to forward inside)``."""

Context = grpc.aio.ServicerContext[Any, Any]

_TRANSPORT_HEADERS = frozenset({"user-agent", "content-type", "te", "host", "authority"})
_ACTOR_HEADERS = frozenset({ACTOR_KIND_METADATA_KEY, ACTOR_ID_METADATA_KEY})
# A deadline further away than this is no deadline (grpc reports "none" as a huge number).
_NO_DEADLINE = 365 * 24 * 3600.0

_log = logging.getLogger(__name__)


def split_method(method: str) -> tuple[str, str] | None:
    """``/pkg.Service/Method`` → ``("pkg.Service", "Method")``; None if malformed."""
    if not method.startswith("/"):
        return None
    service, slash, name = method[1:].rpartition("/")
    if not slash or not service or not name:
        return None
    return service, name


def forwardable(metadata: Metadata) -> list[tuple[str, str | bytes]]:
    """Application metadata only: no pseudo-headers, ``grpc-*`` or transport headers."""
    return [
        (key, value)
        for key, value in metadata
        if not key.startswith((":", "grpc-")) and key.lower() not in _TRANSPORT_HEADERS
    ]


def strip_actor_metadata(
    service: str, metadata: Metadata
) -> tuple[Metadata, contextlib.AbstractContextManager[Any]]:
    """The default hook: callers may not claim an actor (the host vouches for actors)."""
    kept = [(k, v) for k, v in forwardable(metadata) if k.lower() not in _ACTOR_HEADERS]
    return kept, contextlib.nullcontext()


def _refuse(status: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler[Any, Any]:
    async def refuse(_requests: AsyncIterator[bytes], context: Context) -> None:
        await context.abort(status, message)

    return grpc.stream_stream_rpc_method_handler(refuse)


class GrpcForwarder(grpc.GenericRpcHandler):  # type: ignore[type-arg]
    """Forwards calls for the services ``accepts`` admits (all, by default)."""

    def __init__(
        self,
        resolve: RouteResolver,
        *,
        accepts: Callable[[str], bool] | None = None,
        hook: ForwardHook = strip_actor_metadata,
    ) -> None:
        self._resolve = resolve
        self._accepts = accepts
        self._hook = hook

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        parsed = split_method(method)
        if parsed is None:
            return _refuse(grpc.StatusCode.UNIMPLEMENTED, "unknown method")
        service = parsed[0]
        if self._accepts is not None and not self._accepts(service):
            return None
        return grpc.stream_stream_rpc_method_handler(self._forwarding(method, service))

    def _forwarding(
        self, method: str, service: str
    ) -> Callable[[AsyncIterator[bytes], Context], Any]:
        async def forward(requests: AsyncIterator[bytes], context: Context) -> None:
            await self._forward(method, service, requests, context)

        return forward

    async def _forward(
        self, method: str, service: str, requests: AsyncIterator[bytes], context: Context
    ) -> None:
        try:
            channel = self._resolve(service)
        except ServiceRouteError as err:
            await context.abort(err.status, err.message)
        metadata, scope = self._hook(service, _pairs(context.invocation_metadata()))
        with scope:
            try:
                # No (de)serializers: the messages pass through as bytes.
                open_call: Any = channel.stream_stream(method)  # type: ignore[call-arg]
                call = open_call(metadata=tuple(metadata), timeout=_remaining(context))
            except grpc.aio.UsageError:  # the channel closed: its plugin just went away
                await context.abort(
                    grpc.StatusCode.UNAVAILABLE, f"service {service} is temporarily unavailable"
                )
            pump = asyncio.create_task(_pump(requests, call), name=f"proxy {method}")
            try:
                await self._relay(call, context, service)
            finally:
                pump.cancel()
                call.cancel()

    @staticmethod
    async def _relay(call: Any, context: Context, service: str) -> None:
        unavailable = _Unavailable(f"service {service} is temporarily unavailable")
        try:
            with channel_loss(lambda: unavailable):
                initial = forwardable(_pairs(await call.initial_metadata()))
                if initial:
                    await context.send_initial_metadata(initial)
                async for response in call:
                    await context.write(response)
                trailing = forwardable(_pairs(await call.trailing_metadata()))
        except grpc.aio.AioRpcError as err:
            context.set_trailing_metadata(forwardable(_pairs(err.trailing_metadata())))
            await context.abort(err.code(), err.details() or "")
        except _Unavailable as err:  # the upstream's channel closed: its plugin went away
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(err))
        if trailing:
            context.set_trailing_metadata(trailing)


class _Unavailable(Exception):
    pass


async def _pump(requests: AsyncIterator[bytes], call: Any) -> None:
    """Copy the caller's messages upstream, then half-close."""
    try:
        async for message in requests:
            await call.write(message)
        await call.done_writing()
    except (grpc.aio.AioRpcError, grpc.aio.UsageError, asyncio.InvalidStateError) as exc:
        # The upstream finished first (an error, or a response before all requests):
        # its status reaches the caller through the response side.
        _log.debug("proxy stopped forwarding requests: %s", exc)


def _pairs(metadata: Any) -> list[tuple[str, str | bytes]]:
    """gRPC's metadata objects as plain ``(key, value)`` pairs."""
    return [(str(key), value) for key, value in (metadata or ())]


def _remaining(context: Context) -> float | None:
    remaining = context.time_remaining()
    if remaining is None or remaining > _NO_DEADLINE:
        return None
    return max(remaining, 0.0)
