"""Errors a plugin raises or receives, each with an optional machine-readable code.

The Go SDK used `oops` errors with codes; here they are exceptions. A `PluginError` raised
from a handler crosses the wire as a gRPC status whose message starts with ``"<CODE>: "``
when a code is set, so the host (or another plugin) can switch on it.
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc

__all__ = ["HostCallError", "PluginConfigError", "PluginError"]


class PluginError(Exception):
    """An error with an optional code (e.g. ``"SCENE_INIT_FAILED"``) and a gRPC status.

    ``status`` is the gRPC code used when the error leaves the plugin through an RPC the SDK
    serves (Init, HandleEvent, HandleCommand, the attribute resolver); ``context`` holds
    key/value details for logs.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: grpc.StatusCode = grpc.StatusCode.UNKNOWN,
        context: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.context: dict[str, str] = dict(context or {})

    def wire_message(self) -> str:
        """The status message sent over gRPC: ``"<CODE>: <message>"`` or just the message."""
        return f"{self.code}: {self.message}" if self.code else self.message


class HostCallError(PluginError):
    """A call from the plugin to the host (EventSink, KV, Log, session streams) failed.

    ``status`` is the gRPC code the host answered with; ``code`` is the ``CODE:`` prefix of
    the host's message, when it sent one.
    """


class PluginConfigError(ValueError):
    """`serve` / `serve_with_services` was given an unusable configuration.

    Raised before anything is served, in place of the Go SDK's start-up panics.
    """
