"""Exceptions raised by the go-plugin protocol implementation (both sides)."""

from __future__ import annotations


class GoPluginError(Exception):
    """Base class for every error this package raises on purpose."""


class HandshakeError(GoPluginError):
    """The plugin did not complete go-plugin's start-up handshake.

    The message is go-plugin's own text for the same condition, so operators who know
    go-plugin hosts recognise it. ``exit_code`` is set when the plugin process had
    already exited (negative: killed by that signal).
    """

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class PluginConnectError(GoPluginError):
    """The handshake succeeded but the gRPC connection (TLS, Ping) did not."""


class BrokerError(GoPluginError):
    """A GRPCBroker operation failed (closed broker, unknown ID, bad address)."""


class TransportSecurityError(GoPluginError):
    """Key material is missing, unreadable or unusable."""
