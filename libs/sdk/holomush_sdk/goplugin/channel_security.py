"""TLS settings for one side of a plugin connection, and the peer-identity check.

Each side talks to exactly one peer, so one ``ChannelSecurity`` describes both how the
side serves (its gRPC servers: the plugin's main server, either side's brokered servers)
and how it dials (the host's main channel, either side's broker dials).

Verifying the chain is not enough when one CA signs every plugin and the host: the CA
proves "someone HoloMUSH issued", not "the host". So servers also require the client's
certificate to carry the expected identity (a DNS SAN), and clients pin the server's
identity through the TLS target name.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import grpc
import grpc.aio

_log = logging.getLogger(__name__)

_SAN_PROPERTY: Final = "x509_subject_alternative_name"


@dataclass(frozen=True)
class ChannelSecurity:
    """One side's TLS configuration towards its peer; all None means plaintext.

    ``trust_pem`` is what verifies the peer: the HoloMUSH CA, or (AutoMTLS) the peer's own
    self-signed certificate. ``peer_name`` is the name the peer's *server* certificate
    must carry. ``required_client_identity``, when set, is the DNS SAN a connecting
    client's certificate must carry.
    """

    cert_pem: bytes | None = None
    key_pem: bytes | None = None
    trust_pem: bytes | None = None
    peer_name: str | None = None
    required_client_identity: str | None = None

    def __post_init__(self) -> None:
        parts = (self.cert_pem, self.key_pem, self.trust_pem, self.peer_name)
        if any(p is not None for p in parts) and not all(parts):
            raise ValueError("TLS needs a certificate, a key, trust anchors and the peer's name")

    @classmethod
    def plaintext(cls) -> ChannelSecurity:
        return cls()

    @property
    def is_tls(self) -> bool:
        return self.cert_pem is not None

    def server_credentials(self) -> grpc.ServerCredentials | None:
        if self.cert_pem is None or self.key_pem is None:
            return None
        return grpc.ssl_server_credentials(
            [(self.key_pem, self.cert_pem)],
            root_certificates=self.trust_pem,
            require_client_auth=True,
        )

    def channel_credentials(self) -> grpc.ChannelCredentials | None:
        if self.cert_pem is None:
            return None
        return grpc.ssl_channel_credentials(
            root_certificates=self.trust_pem,
            private_key=self.key_pem,
            certificate_chain=self.cert_pem,
        )

    def channel_options(self) -> list[tuple[str, Any]]:
        if self.peer_name is None:
            return []
        return [("grpc.ssl_target_name_override", self.peer_name)]

    def server_interceptors(self) -> list[grpc.aio.ServerInterceptor[Any, Any]]:
        if self.required_client_identity is None:
            return []
        return [PeerIdentityInterceptor(self.required_client_identity)]

    def add_port(self, server: grpc.aio.Server, target: str) -> int:
        """Bind ``server`` to ``target`` with these settings."""
        credentials = self.server_credentials()
        if credentials is None:
            return server.add_insecure_port(target)
        return server.add_secure_port(target, credentials)

    def open_channel(self, target: str, options: list[tuple[str, Any]]) -> grpc.aio.Channel:
        """A channel to ``target`` with these settings plus ``options``."""
        credentials = self.channel_credentials()
        if credentials is None:
            return grpc.aio.insecure_channel(target, options=options)
        return grpc.aio.secure_channel(
            target, credentials, options=options + self.channel_options()
        )


def peer_identities(context: grpc.aio.ServicerContext[Any, Any]) -> list[str]:
    """The DNS/URI SANs of the client certificate on this call ([] without TLS)."""
    auth = context.auth_context()
    return [v.decode("utf-8", "replace") for v in auth.get(_SAN_PROPERTY, ())]


Handler = Callable[..., Any]


class PeerIdentityInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Rejects (PERMISSION_DENIED) every call whose client certificate lacks one SAN."""

    def __init__(self, identity: str) -> None:
        self.identity = identity
        self._identity_bytes = identity.encode("utf-8")
        # One guarded handler per method: the wrapped handler is the same on every call.
        self._guarded: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
        self._unknown_method = grpc.stream_stream_rpc_method_handler(self._refuse_unknown)

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None:
            # Unknown method: a stranger must not even learn which services exist.
            return self._unknown_method
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        guarded = self._guarded.get(method)
        if guarded is None:
            guarded = self._guard(handler)
            self._guarded[method] = guarded
        return guarded

    async def _require_identity(self, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        sans = context.auth_context().get(_SAN_PROPERTY)
        if sans is not None and self._identity_bytes in sans:
            return
        presented = ", ".join(peer_identities(context)) or "no certificate identity"
        _log.warning(
            "refused a call from %s: only %s may call this server", presented, self.identity
        )
        await context.abort(
            grpc.StatusCode.PERMISSION_DENIED,
            f"client identity {presented!r} is not allowed to call this server",
        )

    async def _refuse_unknown(
        self, requests: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> None:
        await self._require_identity(context)
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not found!")

    def _guard(self, handler: grpc.RpcMethodHandler[Any, Any]) -> grpc.RpcMethodHandler[Any, Any]:
        kwargs = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._guard_single(handler.unary_unary), **kwargs
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self._guard_single(handler.stream_unary), **kwargs
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._guard_stream(handler.unary_stream), **kwargs
            )
        assert handler.stream_stream is not None
        return grpc.stream_stream_rpc_method_handler(
            self._guard_stream(handler.stream_stream), **kwargs
        )

    def _guard_single(self, inner: Handler) -> Handler:
        """Single-response methods: check, then return the inner result."""
        require = self._require_identity

        async def guarded(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            await require(context)
            result = inner(request, context)
            return await result if inspect.isawaitable(result) else result

        return guarded

    def _guard_stream(self, inner: Handler) -> Handler:
        """Streaming responses: keep the inner handler's style (writer coroutine or generator)."""
        require = self._require_identity
        if inspect.iscoroutinefunction(inner):

            async def guarded_writer(
                request: Any, context: grpc.aio.ServicerContext[Any, Any]
            ) -> Any:
                await require(context)
                return await inner(request, context)

            return guarded_writer

        async def guarded_generator(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            await require(context)
            responses: AsyncIterator[Any] | Iterator[Any] = inner(request, context)
            if isinstance(responses, AsyncIterator):
                async for response in responses:
                    yield response
            else:
                for response in responses:
                    yield response

        return guarded_generator
