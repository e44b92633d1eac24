"""go-plugin's start-up handshake: magic cookie, version negotiation and the stdout line.

Both sides live here so that what the plugin prints and what the host accepts are one
definition. Parsing follows the Go host (client.go ``Start``) rule for rule, including its
error texts, so a line that a Go host rejects is rejected here with the same words
(wire protocol §1.4-§1.6).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Final

from holomush_sdk.goplugin import _gostrconv as go
from holomush_sdk.goplugin.errors import HandshakeError

__all__ = [
    "COOKIE_MISMATCH_MESSAGE",
    "CORE_PROTOCOL_VERSION",
    "HOLOMUSH_HANDSHAKE",
    "MISCONFIGURED_COOKIE_MESSAGE",
    "MUX_NOT_SUPPORTED_MESSAGE",
    "HandshakeConfig",
    "HandshakeError",
    "HandshakeLine",
    "check_magic_cookie",
    "format_handshake_line",
    "negotiate_version",
    "parse_handshake_line",
]

CORE_PROTOCOL_VERSION: Final = 1

# server.go prints these to stderr and exits 1.
COOKIE_MISMATCH_MESSAGE: Final = (
    "This binary is a plugin. These are not meant to be executed directly.\n"
    "Please execute the program that consumes these plugins, which will\n"
    "load any plugins automatically\n"
)
MISCONFIGURED_COOKIE_MESSAGE: Final = (
    "Misconfigured ServeConfig given to serve this plugin: no magic cookie\n"
    "key or value was set. Please notify the plugin author and report\n"
    "this as a bug.\n"
)
# go-plugin's ErrGRPCBrokerMuxNotSupported.
MUX_NOT_SUPPORTED_MESSAGE: Final = (
    "client requested gRPC broker multiplexing but plugin does not support it"
)

# A field-5 value this short is legacy "extra" data, not a certificate (client.go).
_MIN_CERT_FIELD_LENGTH: Final = 50
_NETWORKS: Final = ("unix", "tcp")


@dataclass(frozen=True)
class HandshakeConfig:
    """What host and plugin must agree on before anything else (go-plugin HandshakeConfig)."""

    protocol_version: int = 1
    magic_cookie_key: str = "HOLOMUSH_PLUGIN"
    magic_cookie_value: str = "holomush-v1"


HOLOMUSH_HANDSHAKE: Final = HandshakeConfig()


@dataclass(frozen=True)
class HandshakeLine:
    """A parsed handshake line.

    ``server_cert_der`` is the AutoMTLS plugin certificate (field 5) when the field is long
    enough to be one, else None. ``mux_supported`` is field 6 read as a Go bool, or None
    when the field is absent or not a bool.
    """

    core_version: int
    app_version: int
    network: str
    address: str
    protocol: str
    server_cert_der: bytes | None = None
    mux_supported: bool | None = None


def check_magic_cookie(config: HandshakeConfig, environ: Mapping[str, str]) -> str | None:
    """Return the message a plugin must print (then exit 1), or None when the cookie matches."""
    if not config.magic_cookie_key or not config.magic_cookie_value:
        return MISCONFIGURED_COOKIE_MESSAGE
    if environ.get(config.magic_cookie_key) != config.magic_cookie_value:
        return COOKIE_MISMATCH_MESSAGE
    return None


def _write_stderr(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def negotiate_version(
    server_versions: Collection[int],
    env_value: str | None,
    *,
    on_invalid: Callable[[str], None] = _write_stderr,
) -> int:
    """Pick the app protocol version as server.go ``protocolVersion`` does.

    The highest server version that the host lists in ``PLUGIN_PROTOCOL_VERSIONS`` wins
    (the host's order is irrelevant); with none in common the lowest server version is
    returned so that the host can reject it with a clear message. Unparseable entries
    are reported through ``on_invalid`` (Go's text, no newline) and skipped.
    """
    if not server_versions:
        raise ValueError("the plugin must support at least one protocol version")
    client_versions: set[int] = set()
    entries = env_value.split(",") if env_value else []
    for entry in entries:
        try:
            client_versions.add(go.atoi(entry))
        except go.GoSyntaxError:
            on_invalid(f"server sent invalid plugin version {go.quote(entry)}")
    for version in sorted(server_versions, reverse=True):
        if version in client_versions:
            return version
    return min(server_versions)


def format_handshake_line(
    *,
    app_version: int,
    network: str,
    address: str,
    protocol: str = "grpc",
    server_cert_der: bytes | None = None,
    mux_supported: bool | None = None,
) -> str:
    """Build the line a plugin prints, newline included.

    go-plugin always writes the certificate field (empty without AutoMTLS) and writes a
    7th field only when the host asked about multiplexing.
    """
    if network not in _NETWORKS:
        raise ValueError(f"network must be one of {_NETWORKS}, not {network!r}")
    for name, value in (("address", address), ("protocol", protocol)):
        if not value or "|" in value or "\n" in value or "\r" in value:
            raise ValueError(f"{name} must be non-empty and contain no '|' or line break")
    cert_field = go.raw_std_b64encode(server_cert_der) if server_cert_der else ""
    fields = [str(CORE_PROTOCOL_VERSION), str(app_version), network, address, protocol, cert_field]
    if mux_supported is not None:
        fields.append("true" if mux_supported else "false")
    return "|".join(fields) + "\n"


def parse_handshake_line(
    line: str,
    *,
    allowed_versions: Collection[int],
    allowed_protocols: Collection[str] = ("grpc",),
    request_mux: bool = False,
) -> HandshakeLine:
    """Validate a plugin's first stdout line the way a Go host does.

    Raises HandshakeError with go-plugin's message. Checks run in Go's order, and (as in
    Go) an unknown network is reported only when no later check fails.
    """
    line = go.trim_space(line)
    parts = line.split("|")
    if len(parts) < 4:
        raise HandshakeError(f"Unrecognized remote plugin message: {line}")

    try:
        core_version = go.atoi(parts[0])
    except go.GoSyntaxError as exc:
        raise HandshakeError(f"Error parsing core protocol version: {exc}") from None
    if core_version != CORE_PROTOCOL_VERSION:
        raise HandshakeError(
            "Incompatible core API version with plugin. "
            f"Plugin version: {parts[0]}, Core version: {CORE_PROTOCOL_VERSION}\n\n"
            "To fix this, the plugin usually only needs to be recompiled.\n"
            "Please report this to the plugin author."
        )

    try:
        app_version = go.atoi(parts[1])
    except go.GoSyntaxError as exc:
        raise HandshakeError(
            f"Error parsing protocol version {go.quote(parts[1])}: {exc}"
        ) from None
    if app_version not in allowed_versions:
        raise HandshakeError(
            "Incompatible API version with plugin. "
            f"Plugin version: {app_version}, "
            f"Client versions: {go.format_int_slice(sorted(allowed_versions))}"
        )

    network, address = parts[2], parts[3]
    address_error = _address_error(network, address)

    protocol = parts[4] if len(parts) >= 5 else "netrpc"
    if protocol not in allowed_protocols:
        supported = "[" + " ".join(allowed_protocols) + "]"
        raise HandshakeError(
            f"Unsupported plugin protocol {go.quote(protocol)}. Supported: {supported}"
        )

    server_cert_der: bytes | None = None
    if len(parts) >= 6 and len(parts[5]) > _MIN_CERT_FIELD_LENGTH:
        server_cert_der = _decode_server_cert(parts[5])

    mux_supported: bool | None = None
    if len(parts) >= 7:
        try:
            mux_supported = go.parse_bool(parts[6])
        except go.GoSyntaxError:
            mux_supported = None
    if request_mux and protocol == "grpc":
        if len(parts) <= 6:
            raise HandshakeError(
                f"{MUX_NOT_SUPPORTED_MESSAGE}; for Go plugins, you will need to update the "
                "github.com/hashicorp/go-plugin dependency and recompile"
            )
        if mux_supported is None:
            raise HandshakeError(
                f"error parsing {go.quote(parts[6])} as a boolean for gRPC broker "
                "multiplexing support"
            )
        if not mux_supported:
            raise HandshakeError(MUX_NOT_SUPPORTED_MESSAGE)

    if address_error is not None:
        raise HandshakeError(address_error)
    return HandshakeLine(
        core_version=core_version,
        app_version=app_version,
        network=network,
        address=address,
        protocol=protocol,
        server_cert_der=server_cert_der,
        mux_supported=mux_supported,
    )


def _address_error(network: str, address: str) -> str | None:
    """What ``net.Resolve{TCP,Unix}Addr`` (or the switch around it) would report."""
    if network == "unix":
        return None  # ResolveUnixAddr accepts any path
    if network != "tcp":
        return f"Unknown address type: {address}"
    host, sep, port = address.rpartition(":")
    if not sep:
        return f"address {address}: missing port in address"
    if host.startswith("["):
        if not host.endswith("]"):
            return f"address {address}: missing ']' in address"
        host = host[1:-1]
    elif ":" in host:
        return f"address {address}: too many colons in address"
    if not port.isdigit() or int(port) > 65535:
        return f"address {address}: invalid port"
    return None


def _decode_server_cert(field: str) -> bytes:
    """Decode AutoMTLS field 5 (unpadded base64 DER) and check it is a certificate."""
    try:
        der = go.raw_std_b64decode(field)
    except go.GoSyntaxError as exc:
        raise HandshakeError(f"error parsing server cert: {exc}") from None
    from cryptography import x509  # only AutoMTLS hosts get here; keeps start-up lean

    try:
        x509.load_der_x509_certificate(der)
    except ValueError:
        raise HandshakeError("error parsing server cert: x509: malformed certificate") from None
    return der
